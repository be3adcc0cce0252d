// Markdown for the resource mode: each endpoint against the baseline, the round trips on the wire,
// what authentication costs (the same build with and without it), and the targets.
import type { ResourceEndpoint, WirePerRequest } from './resource';
import type { AuthenticationResult } from './resource-auth';
import { table, type TargetCheck } from './report';
import { meets, target } from './targets';
import type { Measured } from './throughput';

const ratio = (value: number): string => `${value.toFixed(2)}×`;
const whole = (value: number): string => Math.round(value).toLocaleString('en-US');

function statementsText(wire: WirePerRequest): string {
  return Object.entries(wire.statements)
    .map(([tag, count]) => `${tag} ${count === 1 ? '' : `×${count.toFixed(2)}`}`.trim())
    .join(', ');
}

/** Per-turn ratios of one side's throughput to the other's, as "min–max×". */
function turnSpread(of: Measured, to: Measured): string {
  const turns = of.turnRates.map((rate, turn) => rate / (to.turnRates[turn] ?? Number.NaN)).filter(Number.isFinite);
  return turns.length ? `${Math.min(...turns).toFixed(2)}–${Math.max(...turns).toFixed(2)}×` : '–';
}

export function resourceResultsTable(endpoints: readonly ResourceEndpoint[]): string {
  const rows = endpoints.flatMap((endpoint) =>
    (['keel', 'baseline'] as const).map((side) => {
      const { load, serverCpuMicrosPerRequest, serverCpuShare } = endpoint[side];
      const wire = side === 'keel' ? endpoint.keelWire : endpoint.baselineWire;
      return [
        `${side} ${endpoint.label}`,
        whole(load.requestsPerSecond),
        load.latencyMs.p50.toFixed(2),
        load.latencyMs.p99.toFixed(2),
        String(load.non2xx + load.errors),
        serverCpuMicrosPerRequest.toFixed(0),
        `${Math.round(serverCpuShare * 100)}%`,
        `${Math.round(load.clientCpuShare * 100)}%`,
        wire.roundTrips.toFixed(2),
        statementsText(wire),
      ];
    }),
  );
  return table(
    [
      'server and endpoint',
      'req/s',
      'p50 ms',
      'p99 ms',
      'non-2xx + errors',
      'server CPU µs/req',
      'server CPU',
      'client CPU',
      'SQL round trips/req',
      'statements/req',
    ],
    rows,
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
}

export function resourceRatiosTable(endpoints: readonly ResourceEndpoint[]): string {
  const rows = endpoints.map((endpoint) => {
    const { keel, baseline } = endpoint;
    return [
      endpoint.label,
      ratio(keel.load.requestsPerSecond / baseline.load.requestsPerSecond),
      turnSpread(keel, baseline),
      ratio(keel.load.latencyMs.p99 / baseline.load.latencyMs.p99),
      ratio(keel.serverCpuMicrosPerRequest / baseline.serverCpuMicrosPerRequest),
      `+${(keel.serverCpuMicrosPerRequest - baseline.serverCpuMicrosPerRequest).toFixed(0)}`,
      `${endpoint.keelWire.roundTrips.toFixed(2)} vs ${endpoint.baselineWire.roundTrips.toFixed(2)}`,
    ];
  });
  return table(
    [
      'endpoint',
      'throughput / baseline',
      'per turn (min–max)',
      'p99 / baseline',
      'server CPU / baseline',
      'server CPU µs/req more',
      'round trips keel vs baseline',
    ],
    rows,
    [1, 2, 3, 4, 5],
  );
}

/** Both servers of the authentication comparison, then the authenticated one against the other. */
export function authenticationTable(result: AuthenticationResult): string {
  const { authenticated, open } = result;
  const row = (name: string, side: Measured): string[] => [
    name,
    whole(side.load.requestsPerSecond),
    side.load.latencyMs.p50.toFixed(2),
    side.load.latencyMs.p99.toFixed(2),
    String(side.load.non2xx + side.load.errors),
    side.serverCpuMicrosPerRequest.toFixed(0),
    `${Math.round(side.serverCpuShare * 100)}%`,
    `${Math.round(side.load.clientCpuShare * 100)}%`,
  ];
  const cpuMore = authenticated.serverCpuMicrosPerRequest - open.serverCpuMicrosPerRequest;
  return [
    table(
      [`keel serving ${result.label}`, 'req/s', 'p50 ms', 'p99 ms', 'non-2xx + errors', 'server CPU µs/req', 'server CPU', 'client CPU'],
      [row('AUTH=off, no token', open), row('AUTH=on, bearer token', authenticated)],
      [1, 2, 3, 4, 5, 6, 7],
    ),
    '',
    table(
      ['endpoint', 'throughput / AUTH=off', 'per turn (min–max)', 'p99 / AUTH=off', 'server CPU / AUTH=off', 'server CPU µs/req more'],
      [
        [
          result.label,
          ratio(authenticated.load.requestsPerSecond / open.load.requestsPerSecond),
          turnSpread(authenticated, open),
          ratio(authenticated.load.latencyMs.p99 / open.load.latencyMs.p99),
          ratio(authenticated.serverCpuMicrosPerRequest / open.serverCpuMicrosPerRequest),
          `${cpuMore >= 0 ? '+' : ''}${cpuMore.toFixed(0)}`,
        ],
      ],
      [1, 2, 3, 4, 5],
    ),
  ].join('\n');
}

/** The authentication target: a request with a bearer token against the same build with AUTH=off, both without a failure. */
export function authenticationChecks(result: AuthenticationResult): TargetCheck[] {
  const { authenticated, open } = result;
  const throughputTarget = target('resource GET authenticated throughput');
  const throughput = authenticated.load.requestsPerSecond / open.load.requestsPerSecond;
  const failures = (side: Measured): number => side.load.non2xx + side.load.errors;
  return [
    {
      target: `${result.label} with a bearer token: throughput ${throughputTarget.comparison} ${throughputTarget.bound}× the same build with AUTH=off`,
      measured:
        `${ratio(throughput)} (${whole(authenticated.load.requestsPerSecond)} vs ${whole(open.load.requestsPerSecond)} req/s)` +
        (failures(authenticated) + failures(open) > 0 ? `; non-2xx + errors ${failures(authenticated)} vs ${failures(open)}` : ''),
      pass: meets(throughputTarget, throughput) && failures(authenticated) === 0 && failures(open) === 0,
    },
  ];
}

/**
 * The resource mode's targets (bench/targets.ts): GET by id against the baseline; and for every endpoint, keel's round trips per
 * request beyond its own statements, which are the baseline's (the same SQL, one statement per
 * round trip, no transaction).
 */
export function resourceChecks(endpoints: readonly ResourceEndpoint[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const get = endpoints.find((endpoint) => endpoint.label.startsWith('GET'));
  if (get) {
    const { keel, baseline } = get;
    const throughputTarget = target('resource GET throughput');
    const throughput = keel.load.requestsPerSecond / baseline.load.requestsPerSecond;
    checks.push({
      target: `${get.label} throughput ${throughputTarget.comparison} ${throughputTarget.bound}× baseline`,
      measured: `${ratio(throughput)} (${whole(keel.load.requestsPerSecond)} vs ${whole(baseline.load.requestsPerSecond)} req/s)`,
      pass: meets(throughputTarget, throughput) && keel.load.non2xx === 0 && keel.load.errors === 0,
    });
    const p99Target = target('resource GET p99');
    const p99 = keel.load.latencyMs.p99 / baseline.load.latencyMs.p99;
    checks.push({
      target: `${get.label} p99 ${p99Target.comparison} ${p99Target.bound}× baseline p99`,
      measured: `${ratio(p99)} (${keel.load.latencyMs.p99.toFixed(2)} vs ${baseline.load.latencyMs.p99.toFixed(2)} ms)`,
      pass: meets(p99Target, p99),
    });
  }
  const roundTrips = target('resource round trips');
  for (const endpoint of endpoints) {
    const statements = endpoint.baselineWire.roundTrips;
    const beyond = endpoint.keelWire.roundTrips - statements;
    checks.push({
      target: `${endpoint.label}: SQL round trips ${roundTrips.comparison} its statements + ${roundTrips.bound}`,
      measured: `${endpoint.keelWire.roundTrips.toFixed(2)} for ${statements.toFixed(2)} statement(s): +${beyond.toFixed(2)}`,
      pass: endpoint.keelWire.encrypted === 0 && endpoint.baselineWire.encrypted === 0 && meets(roundTrips, beyond),
    });
  }
  return checks;
}
