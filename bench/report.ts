// Markdown for the results: the measurements, the ratios to the baseline and each target's PASS/MISS.
import type { LoadResult, ShutdownLoadResult, Tally } from './load';
import { boundOf, meets, target, type Target } from './targets';

export interface SqlCount {
  /** Transactions (= statements outside explicit transactions) in the bench database. */
  readonly transactions: number;
  /** Sessions opened to the bench database (PostgreSQL 14+). */
  readonly sessions: number | undefined;
  /** Every request the server answered while counted: checks, warm-up and the measured run. */
  readonly requests: number;
  /** How long the server was under load (warm-up + measured slices), ms. */
  readonly loadMs: number;
  /** The statements left once each session's two (its startup and keel's session setup) are taken away. */
  readonly probeStatements: number | undefined;
  /** Probe windows the spells of load can hold (each starts one), plus one for the ping bin/www makes at boot. */
  readonly windows: number;
}

export interface EndpointRun {
  readonly label: string;
  readonly role: 'baseline' | 'keel';
  readonly path: string;
  /** A baseline run: the label of the keel run it took turns with. */
  readonly pairedWith?: string;
  /** Requests per second in each turn, in the order measured. */
  readonly turnRates?: readonly number[];
  /** Undefined when the endpoint was measured; otherwise why not ("not served (404)"). */
  readonly notServed?: string;
  readonly load?: LoadResult;
  readonly serverCpuMicrosPerRequest?: number;
  /** Server CPU time over the measured run's wall time: 1.0 is one core fully busy. */
  readonly serverCpuShare?: number;
  readonly sql?: SqlCount;
}

const dash = '–';
const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || !Number.isFinite(value) ? dash : value.toFixed(digits);
const whole = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? dash : Math.round(value).toLocaleString('en-US');
const percent = (share: number | undefined): string => (share === undefined ? dash : `${Math.round(share * 100)}%`);
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

export function table(headers: readonly string[], rows: readonly (readonly string[])[], rightAligned: readonly number[] = []): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, i) => (rightAligned.includes(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((width, i) => (rightAligned.includes(i) ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

const errorText = (load: LoadResult): string => {
  const codes = Object.entries(load.errorCodes).map(([code, count]) => `${code}×${count}`);
  return codes.length ? `${load.errors} (${codes.join(', ')})` : String(load.errors);
};

const non2xxText = (load: LoadResult): string => {
  const codes = Object.entries(load.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, count]) => `${code}×${count}`);
  return codes.length ? `${load.non2xx} (${codes.join(', ')})` : String(load.non2xx);
};

function sqlPerRequest(sql: SqlCount | undefined): string {
  if (!sql) return dash;
  return sql.requests ? (sql.transactions / sql.requests).toFixed(3) : dash;
}

export function resultsTable(runs: readonly EndpointRun[]): string {
  const headers = [
    'endpoint',
    'req/s',
    'p50 ms',
    'p97.5 ms',
    'p99 ms',
    'non-2xx',
    'errors',
    'server CPU µs/req',
    'server CPU',
    'client CPU',
    'SQL/req',
  ];
  const rows = runs.map((run) => {
    if (!run.load) return [run.label, run.notServed ?? 'not measured', '', '', '', '', '', '', '', '', ''];
    const { load } = run;
    return [
      run.label,
      whole(load.requestsPerSecond),
      fixed(load.latencyMs.p50, 2),
      fixed(load.latencyMs.p97_5, 2),
      fixed(load.latencyMs.p99, 2),
      non2xxText(load),
      errorText(load),
      fixed(run.serverCpuMicrosPerRequest, 1),
      percent(run.serverCpuShare),
      percent(load.clientCpuShare),
      run.role === 'baseline' ? 'n/a' : sqlPerRequest(run.sql),
    ];
  });
  return table(headers, rows, [1, 2, 3, 4, 7, 8, 9, 10]);
}

export function sqlSection(runs: readonly EndpointRun[], probeWindowMs: number): string {
  const rows = runs
    .filter((run) => run.sql)
    .map((run) => {
      const sql = run.sql as SqlCount;
      return [
        run.label,
        whole(sql.requests),
        whole(sql.transactions),
        sql.sessions === undefined ? dash : whole(sql.sessions),
        sql.probeStatements === undefined ? dash : whole(sql.probeStatements),
        `${sql.windows} (${fixed(sql.loadMs / 1000, 1)} s of load in spells / ${probeWindowMs} ms + boot)`,
        sql.probeStatements === undefined ? dash : fixed(sql.probeStatements / sql.windows, 2),
      ];
    });
  return table(
    ['server', 'requests answered', 'statements', 'sessions', 'probe statements', 'probe windows', 'probe stmts / window'],
    rows,
    [1, 2, 3, 4, 6],
  );
}

export interface Baseline {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly cpuMicrosPerRequest: number;
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

/** The mean of every baseline run. */
export function baselineOf(runs: readonly EndpointRun[]): Baseline | undefined {
  const loads = runs.filter((run) => run.role === 'baseline' && run.load);
  if (!loads.length) return undefined;
  return {
    requestsPerSecond: mean(loads.map((run) => run.load?.requestsPerSecond ?? Number.NaN)),
    p99Ms: mean(loads.map((run) => run.load?.latencyMs.p99 ?? Number.NaN)),
    cpuMicrosPerRequest: mean(loads.map((run) => run.serverCpuMicrosPerRequest ?? Number.NaN)),
  };
}

/** The baseline run that took turns with the given keel run. */
export function pairedBaseline(runs: readonly EndpointRun[], run: EndpointRun): Baseline | undefined {
  const paired = runs.find((other) => other.role === 'baseline' && other.pairedWith === run.label);
  return paired && baselineOf([paired]);
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
}

/** The throughput mode's targets (bench/targets.ts), each keel endpoint against the baseline run that took turns with it. */
export function checkTargets(runs: readonly EndpointRun[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const measured = (path: string): { run: EndpointRun; load: LoadResult; baseline: Baseline } | undefined => {
    const run = runs.find((other) => other.role === 'keel' && other.path === path);
    const baseline = run && pairedBaseline(runs, run);
    return run?.load && baseline ? { run, load: run.load, baseline } : undefined;
  };
  const throughput = (path: string, min: Target): void => {
    const found = measured(path);
    if (!found) return;
    const { load, baseline } = found;
    const ratio = load.requestsPerSecond / baseline.requestsPerSecond;
    checks.push({
      target: `${path} throughput ${min.comparison} ${min.bound}× baseline`,
      measured: `${ratio.toFixed(2)}× (${whole(load.requestsPerSecond)} vs ${whole(baseline.requestsPerSecond)} req/s)`,
      pass: meets(min, ratio) && load.non2xx === 0 && load.errors === 0,
    });
  };
  const p99Target = target('health p99');
  const p99 = (path: string): void => {
    const found = measured(path);
    if (!found) return;
    const { load, baseline } = found;
    const ratio = load.latencyMs.p99 / baseline.p99Ms;
    checks.push({
      target: `${path} p99 ${p99Target.comparison} ${p99Target.bound}× baseline p99`,
      measured: `${ratio.toFixed(2)}× (${fixed(load.latencyMs.p99, 2)} vs ${fixed(baseline.p99Ms, 2)} ms)`,
      pass: meets(p99Target, ratio),
    });
  };
  throughput('/health', target('health throughput'));
  p99('/health');
  throughput('/health/db', target('database health throughput'));
  const db = measured('/health/db');
  if (db?.run.sql) {
    const { probeStatements, windows } = db.run.sql;
    const probe = target('probe statements');
    checks.push({
      target: `/health/db ${probe.comparison} ${probe.bound} probe statement per probe window`,
      measured: probeStatements === undefined ? 'unknown (no sessions counter)' : `${probeStatements} in ${windows} windows`,
      pass: probeStatements !== undefined && meets(probe, probeStatements / windows),
    });
  }
  p99('/health/db');
  p99('/health/ready');
  return checks;
}

export function targetsTable(checks: readonly TargetCheck[]): string {
  return table(
    ['target', 'measured', 'result'],
    checks.map((check) => [check.target, check.measured, verdict(check.pass)]),
  );
}

/** How far apart the throughput ratios of single turns were: the noise the whole-run ratio is read against. */
function turnRatioRange(run: EndpointRun, baseline: EndpointRun | undefined): string {
  const keelRates = run.turnRates ?? [];
  const baselineRates = baseline?.turnRates ?? [];
  const ratios = keelRates.map((rate, turn) => rate / (baselineRates[turn] ?? Number.NaN)).filter(Number.isFinite);
  return ratios.length ? `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×` : dash;
}

export function ratiosTable(runs: readonly EndpointRun[]): string {
  const rows = runs
    .filter((run) => run.role === 'keel')
    .map((run) => {
      const baseline = pairedBaseline(runs, run);
      if (!run.load || !baseline) return [run.label, run.notServed ?? dash, dash, dash, dash];
      return [
        run.label,
        `${(run.load.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)}×`,
        turnRatioRange(
          run,
          runs.find((other) => other.pairedWith === run.label),
        ),
        `${(run.load.latencyMs.p99 / baseline.p99Ms).toFixed(2)}×`,
        `${((run.serverCpuMicrosPerRequest ?? Number.NaN) / baseline.cpuMicrosPerRequest).toFixed(2)}×`,
      ];
    });
  return table(
    ['endpoint', 'throughput / baseline', 'per turn (min–max)', 'p99 / baseline', 'server CPU per request / baseline'],
    rows,
    [1, 2, 3, 4],
  );
}

// ---- faults mode -------------------------------------------------------------------------------

export interface DatabaseDownResult {
  readonly scenario: string;
  readonly db: LoadResult;
  readonly health: LoadResult;
  /** The probe timeout keel ran with (DB_PROBE_TIMEOUT_MS): /health/db's p99 bound is relative to it. */
  readonly probeTimeoutMs: number;
  /** Connections the silent database accepted (total, most open at once, open at the end), when it was the silent one. */
  readonly silentAccepted?: { readonly total: number; readonly maxOpen: number; readonly openAtEnd: number };
}

export function databaseDownTable(results: readonly DatabaseDownResult[]): string {
  const rows = results.flatMap((result) => [
    [
      `${result.scenario}: /health/db`,
      whole(result.db.requestsPerSecond),
      fixed(result.db.latencyMs.p50, 1),
      fixed(result.db.latencyMs.p99, 1),
      fixed(result.db.latencyMs.max, 1),
      non2xxText(result.db),
      errorText(result.db),
    ],
    [
      `${result.scenario}: /health meanwhile`,
      whole(result.health.requestsPerSecond),
      fixed(result.health.latencyMs.p50, 2),
      fixed(result.health.latencyMs.p99, 2),
      fixed(result.health.latencyMs.max, 2),
      non2xxText(result.health),
      errorText(result.health),
    ],
  ]);
  return table(['scenario', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors'], rows, [1, 2, 3, 4]);
}

export function databaseDownChecks(results: readonly DatabaseDownResult[]): TargetCheck[] {
  const dbP99 = target('database down p99');
  const answers503 = target('database down answers 503');
  const liveness = target('liveness p99 with the database down');
  return results.flatMap((result) => [
    {
      target: `${result.scenario}: /health/db p99 ${dbP99.comparison} ${boundOf(dbP99, result.probeTimeoutMs)} ms (probe timeout + margin)`,
      measured: `${fixed(result.db.latencyMs.p99, 1)} ms`,
      pass: result.db.responses > 0 && meets(dbP99, result.db.latencyMs.p99, result.probeTimeoutMs) && result.db.errors === 0,
    },
    {
      target: `${result.scenario}: /health/db answers 503 (not 200, not a hang)`,
      measured: Object.entries(result.db.statusCodes)
        .map(([code, count]) => `${code}×${count}`)
        .join(', '),
      pass: result.db.responses > 0 && meets(answers503, (result.db.statusCodes['503'] ?? 0) / result.db.responses),
    },
    {
      target: `${result.scenario}: /health stays 200, p99 ${liveness.comparison} ${liveness.bound} ms`,
      measured: `${result.health.non2xx} non-2xx, ${result.health.errors} errors, p99 ${fixed(result.health.latencyMs.p99, 2)} ms`,
      pass:
        result.health.responses > 0 &&
        result.health.non2xx === 0 &&
        result.health.errors === 0 &&
        meets(liveness, result.health.latencyMs.p99),
    },
  ]);
}

export interface ShutdownResult {
  readonly path: string;
  readonly clients: number;
  readonly load: ShutdownLoadResult;
  readonly exit: { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly afterMs: number } | undefined;
  readonly logSaysComplete: boolean;
  readonly logSaysDeadline: boolean;
}

const tallyText = (tally: Tally): string[] => [
  whole(tally.ok),
  tally.non2xx
    ? `${tally.non2xx} (${Object.entries(tally.statuses)
        .map(([code, count]) => `${code}×${count}`)
        .join(', ')})`
    : '0',
  whole(tally.refused),
  tally.failed
    ? `${tally.failed} (${Object.entries(tally.failedCodes)
        .map(([code, count]) => `${code}×${count}`)
        .join(', ')})`
    : '0',
];

export function shutdownTable(results: readonly ShutdownResult[]): string {
  const rows = results.flatMap((result) => [
    [`${result.path}, before SIGTERM`, ...tallyText(result.load.beforeSignal), '', '', ''],
    [
      `${result.path}, after SIGTERM`,
      ...tallyText(result.load.afterSignal),
      fixed(result.load.maxLatencyAfterSignalMs, 1),
      result.exit ? fixed(result.exit.afterMs, 0) : 'did not exit',
      result.exit ? `${result.exit.code ?? result.exit.signal}` : dash,
    ],
  ]);
  return table(
    [
      'load (K clients, keep-alive)',
      '2xx',
      'non-2xx',
      'refused (listener closed)',
      'failed',
      'max latency ms',
      'SIGTERM→exit ms',
      'exit code',
    ],
    rows,
    [1, 5, 6],
  );
}

export function shutdownChecks(results: readonly ShutdownResult[], shutdownTimeoutMs: number): TargetCheck[] {
  const noneFailed = target('shutdown failed requests');
  const exit = target('shutdown exit');
  return results.flatMap((result) => {
    const failed = result.load.beforeSignal.failed + result.load.afterSignal.failed + result.load.abandoned;
    return [
      {
        target: `SIGTERM under load on ${result.path}: ${noneFailed.bound} failed requests`,
        measured: `${failed} failed${result.load.abandoned ? ` (${result.load.abandoned} unanswered at the cap)` : ''}`,
        pass: meets(noneFailed, failed),
      },
      {
        target: `SIGTERM under load on ${result.path}: exit 0 before the shutdown deadline (${boundOf(exit, shutdownTimeoutMs)} ms)`,
        measured: result.exit
          ? `exit ${result.exit.code ?? result.exit.signal} after ${fixed(result.exit.afterMs, 0)} ms${result.logSaysDeadline ? ' (log: deadline passed)' : ''}`
          : 'did not exit',
        pass: !!result.exit && result.exit.code === 0 && meets(exit, result.exit.afterMs, shutdownTimeoutMs) && !result.logSaysDeadline,
      },
    ];
  });
}
