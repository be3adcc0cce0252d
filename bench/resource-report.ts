// Markdown for the resource mode: each endpoint against the baseline, the round trips on the wire,
// and the targets.
import type { ResourceEndpoint, WirePerRequest } from './resource';
import { table, type TargetCheck } from './report';
import { meets, target } from './targets';

const ratio = (value: number): string => `${value.toFixed(2)}×`;
const whole = (value: number): string => Math.round(value).toLocaleString('en-US');

function statementsText(wire: WirePerRequest): string {
  return Object.entries(wire.statements)
    .map(([tag, count]) => `${tag} ${count === 1 ? '' : `×${count.toFixed(2)}`}`.trim())
    .join(', ');
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
    const turns = keel.turnRates.map((rate, turn) => rate / (baseline.turnRates[turn] ?? Number.NaN)).filter(Number.isFinite);
    return [
      endpoint.label,
      ratio(keel.load.requestsPerSecond / baseline.load.requestsPerSecond),
      turns.length ? `${Math.min(...turns).toFixed(2)}–${Math.max(...turns).toFixed(2)}×` : '–',
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
