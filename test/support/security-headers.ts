import { expect } from 'chai';

type Headers = Readonly<Record<string, unknown>>;

/** Headers helmet sends for HTML pages, which keel (a JSON API) leaves off: see lib/keel/http/middleware/security-headers.ts. */
const DOCUMENT_ONLY = [
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

/** keel's security headers, on any response whatever its status (lower-case header names). */
export function expectSecurityHeaders(headers: Headers): void {
  expect(headers['x-content-type-options'], 'X-Content-Type-Options').to.equal('nosniff');
  expect(headers['strict-transport-security'], 'Strict-Transport-Security').to.match(/max-age=\d+/);
  const csp = String(headers['content-security-policy']);
  expect(csp, 'Content-Security-Policy').to.include("default-src 'none'").and.include("frame-ancestors 'none'");
  expect(headers['x-frame-options'], 'X-Frame-Options').to.equal('DENY');
  expect(headers['cross-origin-resource-policy'], 'Cross-Origin-Resource-Policy').to.equal('same-origin');
  expect(headers['referrer-policy'], 'Referrer-Policy').to.equal('no-referrer');
  expect(headers, 'X-Powered-By').not.to.have.property('x-powered-by');
  for (const name of DOCUMENT_ONLY) expect(headers, name).not.to.have.property(name);
}
