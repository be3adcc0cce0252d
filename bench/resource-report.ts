// Markdown for the resource mode: each endpoint against the baseline, the round trips on the wire,
// what authentication costs (the same build with and without it), and the targets.
import type { BaselineKind, ResourceEndpoint, WirePerRequest } from './resource';
import type { AuthenticationResult } from './resource-auth';
import type { MemoryResult } from './resource-memory';
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

const sideName = (kind: BaselineKind): string => `baseline, ${kind}`;

export function resourceResultsTable(endpoints: readonly ResourceEndpoint[]): string {
  const row = (name: string, measured: Measured, wire: WirePerRequest): string[] => {
    const { load, serverCpuMicrosPerRequest, serverCpuShare } = measured;
    return [
      name,
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
  };
  const rows = endpoints.flatMap((endpoint) => [
    row(`keel ${endpoint.label}`, endpoint.keel, endpoint.keelWire),
    ...endpoint.baselines.map((baseline) => row(`${sideName(baseline.kind)} ${endpoint.label}`, baseline.measured, baseline.wire)),
  ]);
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
  const rows = endpoints.flatMap((endpoint) =>
    endpoint.baselines.map(({ kind, measured, wire }) => {
      const { keel } = endpoint;
      const cpuMore = keel.serverCpuMicrosPerRequest - measured.serverCpuMicrosPerRequest;
      return [
        endpoint.label,
        kind,
        ratio(keel.load.requestsPerSecond / measured.load.requestsPerSecond),
        turnSpread(keel, measured),
        ratio(keel.load.latencyMs.p99 / measured.load.latencyMs.p99),
        `${keel.serverCpuMicrosPerRequest.toFixed(0)} vs ${measured.serverCpuMicrosPerRequest.toFixed(0)}`,
        `${cpuMore >= 0 ? '+' : ''}${cpuMore.toFixed(0)}`,
        `${endpoint.keelWire.roundTrips.toFixed(2)} vs ${wire.roundTrips.toFixed(2)}`,
      ];
    }),
  );
  return table(
    [
      'endpoint',
      'baseline',
      'throughput / baseline',
      'per turn (min–max)',
      'p99 / baseline',
      'server CPU µs/req keel vs baseline',
      'µs/req more',
      'round trips keel vs baseline',
    ],
    rows,
    [2, 3, 4, 5, 6],
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
 * The resource mode's targets (bench/targets.ts): each operation against the baseline sending the same
 * statements (throughput and p99), each write against the statement alone in autocommit, and keel's
 * round trips per request beyond its own statements.
 */
export function resourceChecks(endpoints: readonly ResourceEndpoint[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const failures = (side: Measured): number => side.load.non2xx + side.load.errors;
  for (const endpoint of endpoints) {
    const { keel } = endpoint;
    for (const { kind, measured } of endpoint.baselines) {
      const throughputTarget =
        kind === 'autocommit'
          ? target('resource write against autocommit')
          : endpoint.write
            ? target('resource write throughput')
            : target('resource read throughput');
      const throughput = keel.load.requestsPerSecond / measured.load.requestsPerSecond;
      checks.push({
        target: `${endpoint.label} throughput ${throughputTarget.comparison} ${throughputTarget.bound}× baseline (${kind})`,
        measured:
          `${ratio(throughput)} (${whole(keel.load.requestsPerSecond)} vs ${whole(measured.load.requestsPerSecond)} req/s)` +
          (failures(keel) + failures(measured) > 0 ? `; non-2xx + errors ${failures(keel)} vs ${failures(measured)}` : ''),
        pass: meets(throughputTarget, throughput) && failures(keel) === 0 && failures(measured) === 0,
      });
      if (kind === 'autocommit') continue;
      const p99Target = target('resource p99');
      const p99 = keel.load.latencyMs.p99 / measured.load.latencyMs.p99;
      checks.push({
        target: `${endpoint.label} p99 ${p99Target.comparison} ${p99Target.bound}× baseline p99 (${kind})`,
        measured: `${ratio(p99)} (${keel.load.latencyMs.p99.toFixed(2)} vs ${measured.load.latencyMs.p99.toFixed(2)} ms)`,
        pass: meets(p99Target, p99),
      });
    }
  }
  const roundTrips = target('resource round trips');
  for (const endpoint of endpoints) {
    // The baseline that sends the statement alone: one round trip per statement.
    const alone = endpoint.baselines.find((baseline) => baseline.kind !== 'same statements') ?? endpoint.baselines[0];
    if (!alone) continue;
    const statements = alone.wire.roundTrips;
    const beyond = endpoint.keelWire.roundTrips - statements;
    checks.push({
      target: `${endpoint.label}: SQL round trips ${roundTrips.comparison} its statements + ${roundTrips.bound}`,
      measured: `${endpoint.keelWire.roundTrips.toFixed(2)} for ${statements.toFixed(2)} statement(s): +${beyond.toFixed(2)}`,
      pass: endpoint.keelWire.encrypted === 0 && alone.wire.encrypted === 0 && meets(roundTrips, beyond),
    });
  }
  return checks;
}

const megabytes = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(1)}%`;

/** The memory run's samples, then its growth after the warm-up. */
export function memoryTable(result: MemoryResult): string {
  const first = result.samples[0];
  return table(
    ['at s', 'responses', 'RSS MB', 'heap after GC MB', 'RSS since warm-up', 'heap since warm-up'],
    result.samples.map((sample) => [
      sample.atSeconds.toFixed(1),
      whole(sample.responses),
      megabytes(sample.rssBytes),
      megabytes(sample.heapUsedBytes),
      first ? signed(((sample.rssBytes - first.rssBytes) / first.rssBytes) * 100) : '–',
      first ? signed(((sample.heapUsedBytes - first.heapUsedBytes) / first.heapUsedBytes) * 100) : '–',
    ]),
    [0, 1, 2, 3, 4, 5],
  );
}

export function memoryChecks(result: MemoryResult): TargetCheck[] {
  const growth = target('resource memory growth');
  return (
    [
      ['RSS', result.rssGrowthPercent],
      ['heap after a forced GC', result.heapGrowthPercent],
    ] as const
  ).map(([what, value]) => ({
    target: `${what}: growth over the steady run after its warm-up ${growth.comparison} ${growth.bound}%`,
    measured: `${signed(value)} (${whole(result.responses)} responses, ${result.non2xx + result.errors} non-2xx + errors)`,
    pass: meets(growth, value) && result.non2xx + result.errors === 0,
  }));
}
