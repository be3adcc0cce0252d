import { generate } from 'selfsigned';

// Certificates made in JavaScript, so that no test needs the openssl command.

export interface KeyAndCertificate {
  /** PKCS#8 PEM, unencrypted. */
  readonly key: string;
  readonly cert: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** EC P-256 keys and SHA-256 signatures (selfsigned's defaults are RSA and SHA-1), valid for one day of test runs. */
function certificateOptions() {
  const now = Date.now();
  return {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + DAY_MS),
  } as const;
}

/** A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign) and its key. */
export async function certificateAuthority(commonName: string): Promise<KeyAndCertificate> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    ...certificateOptions(),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** A certificate for localhost and 127.0.0.1, signed by ca. */
export async function serverCertificate(ca: KeyAndCertificate): Promise<KeyAndCertificate> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    ...certificateOptions(),
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
