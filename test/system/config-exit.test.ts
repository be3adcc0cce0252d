import { expect } from 'chai';
import { envSpec } from '../../config/env';
import { testDatabaseUrl } from '../support/database';
import { spawnServer, type ServerProcess } from '../support/process';

type VariableName = keyof typeof envSpec;

/** What the spec says about a variable, as far as choosing a bad value goes. */
interface SpecShape {
  readonly choices?: readonly unknown[];
  readonly default?: unknown;
}

/** Bad values for validators whose kind the spec does not show (URLs, secrets, tokens). */
const SPECIAL_BAD_VALUES: Partial<Record<VariableName, string>> = {
  DATABASE_URL: 'not-a-url-BadValue',
  DATABASE_REPLICA_URLS: 'postgres://replica.internal:5432/db,BadValue-not-a-url',
  AUTH_ISSUER: 'http://BadValue.example.com/not-https',
  AUTH_JWKS_URL: 'ftp://BadValue.example.com/keys',
  AUTH_AUDIENCE: ' , ',
  AUTH_ALGORITHMS: 'HS256,BadValue',
  AUTH_USER_CLAIM: 'Bad Value',
  AUTH_TENANT_CLAIM: 'Bad Value',
  METRICS_TOKEN: 'BadValue token',
  // An integer without a default (derived from two others when unset).
  DB_IDLE_IN_TRANSACTION_MS: 'BadValue-ms',
  DATABASE_SSL_CA: 'BadValue-neither-pem-nor-a-file',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://BadValue.example.com/',
  // Credentials in a collector URL are refused (they belong in OTEL_EXPORTER_OTLP_HEADERS), and never echoed.
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://user:BadValue@collector.example.com/v1/traces',
};

/** Variables no value of which is wrong, and why (each one must be listed here on purpose). */
const WITHOUT_A_RULE: Partial<Record<VariableName, string>> = {
  EMBEDDED_DATABASE_DIR: 'any path is a valid data directory (and staging/production never start the embedded database)',
  OTEL_SERVICE_NAME: 'any name names the service (service.name is a free string)',
  AUTH_DEVELOPMENT_KEY_FILE: 'any path is a valid place for a key file (created on first use); staging/production refuse it whatever it is',
};

type Kind = 'choice' | 'integer' | 'special' | 'no rule' | 'unknown';

function kindOf(name: VariableName): Kind {
  const spec = envSpec[name] as SpecShape;
  if (name in WITHOUT_A_RULE) return 'no rule';
  if (name in SPECIAL_BAD_VALUES) return 'special';
  if (Array.isArray(spec.choices)) return 'choice';
  // integerBetween() is the only validator of keel's with a number as its default.
  if (typeof spec.default === 'number') return 'integer';
  return 'unknown';
}

/** A value of the wrong kind for the variable. */
function wrongKind(name: VariableName): string {
  const kind = kindOf(name);
  if (kind === 'special') return SPECIAL_BAD_VALUES[name] as string;
  if (kind === 'choice') return `BadValue-${name.toLowerCase()}`;
  return 'BadValue-not-a-number';
}

/** Everything valid for a production boot, so that only the variable under test is wrong. */
function validEnvironment(): Record<string, string> {
  return { NODE_ENV: 'production', PORT: '0', DATABASE_URL: testDatabaseUrl(), AUTH: 'off', LOG_LEVEL: 'info' };
}

interface Outcome {
  readonly code: number | null;
  readonly output: string;
}

/** Spawns the real server and waits for it to exit; one that is still running after timeoutMs is killed (and fails the check). */
async function bootWith(env: Record<string, string>, timeoutMs = 15_000): Promise<Outcome> {
  const server: ServerProcess = spawnServer(env);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), timeoutMs);
  try {
    const { code } = await server.exited;
    return { code, output: server.output() };
  } finally {
    clearTimeout(timer);
  }
}

async function inBatches<T, R>(items: readonly T[], concurrency: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next;
        next += 1;
        results[index] = await run(items[index] as T);
      }
    }),
  );
  return results;
}

/** The problem line naming a variable in "keel: invalid configuration:" (one per bad variable). */
const problemLine = (name: string): RegExp => new RegExp(`^  ${name}: \\S`, 'm');

const NAMES = Object.keys(envSpec) as VariableName[];
/** Processes the wrong-kind values are spread over. */
const SPAWNS = 6;

describe('bin/www with an invalid environment', function () {
  this.timeout(60_000);

  it('has a bad value for every variable of the schema, or a reason why none exists', () => {
    const unknown = NAMES.filter((name) => kindOf(name) === 'unknown');

    expect(unknown, 'variables whose validator kind is unknown: add them to SPECIAL_BAD_VALUES or WITHOUT_A_RULE').to.deep.equal([]);
    const listed = [...Object.keys(SPECIAL_BAD_VALUES), ...Object.keys(WITHOUT_A_RULE)];
    expect(
      listed.filter((name) => !(name in envSpec)),
      'tables naming variables the schema no longer has',
    ).to.deep.equal([]);
  });

  it('exits 1 naming the variable, and never echoing its value, for a value of the wrong kind in each variable', async () => {
    const checked = NAMES.filter((name) => kindOf(name) !== 'no rule');
    // A few variables per process: loadConfig validates each one on its own and names every bad one, so a
    // variable that slipped through would be missing from the message. One spawn per variable would cost
    // ~30 process starts (each loads the whole app before reading its configuration).
    const groups = Array.from({ length: SPAWNS }, (_, group) => checked.filter((_name, index) => index % SPAWNS === group));

    const outcomes = await inBatches(groups, 3, (group) =>
      bootWith({ ...validEnvironment(), ...Object.fromEntries(group.map((name) => [name, wrongKind(name)])) }),
    );

    const failures = groups.flatMap((group, index) => {
      const { code, output } = outcomes[index] as Outcome;
      const problems: string[] = [];
      if (code !== 1) problems.push(`exit code ${code}`);
      if (!output.startsWith('keel: invalid configuration:')) problems.push('not the configuration message');
      for (const name of group) {
        if (!problemLine(name).test(output)) problems.push(`${name} is not named`);
        if (output.includes(wrongKind(name))) problems.push(`the value of ${name} is echoed`);
      }
      return problems.length > 0
        ? [`${group.map((name) => `${name}=${wrongKind(name)}`).join(' ')}: ${problems.join(', ')}\n${output}`]
        : [];
    });
    expect(checked.length, 'variables checked').to.equal(NAMES.length - Object.keys(WITHOUT_A_RULE).length);
    expect(failures).to.deep.equal([]);
  });

  for (const [what, value] of [
    ['below its range', '-1'],
    ['above its range', '1000000000000'],
  ] as const) {
    it(`exits 1 naming every integer variable when each is ${what}`, async () => {
      const integers = NAMES.filter((name) => kindOf(name) === 'integer');
      const env = { ...validEnvironment(), ...Object.fromEntries(integers.map((name) => [name, value])) };

      const { code, output } = await bootWith(env);

      expect(code, output).to.equal(1);
      expect(
        integers.filter((name) => !problemLine(name).test(output)),
        `variables not named in:\n${output}`,
      ).to.deep.equal([]);
    });
  }
});
