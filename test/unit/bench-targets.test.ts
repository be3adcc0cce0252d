import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../config/project';
import { checkTargets, type EndpointRun } from '../../bench/report';
import type { LoadResult } from '../../bench/load';
import type { ResourceEndpoint, WirePerRequest } from '../../bench/resource';
import { authenticationChecks, memoryChecks, resourceChecks } from '../../bench/resource-report';
import type { Measured } from '../../bench/throughput';
import { boundOf, meets, TARGETS, type Target } from '../../bench/targets';

const benchDir = path.join(projectRoot(), 'bench');

const reportSources = (): string =>
  fs
    .readdirSync(benchDir)
    .filter((file) => file.endsWith('.ts') && file !== 'targets.ts')
    .map((file) => fs.readFileSync(path.join(benchDir, file), 'utf8'))
    .join('\n');

const withBound = (comparison: Target['comparison'], bound: number, relativeTo?: Target['relativeTo']): Target => ({
  name: 'example',
  mode: 'throughput',
  metric: 'example',
  comparison,
  bound,
  ...(relativeTo ? { relativeTo } : {}),
});

const load = (requestsPerSecond: number, p99: number): LoadResult =>
  ({
    requestsPerSecond,
    latencyMs: { p50: 1, p97_5: p99, p99, max: p99 },
    non2xx: 0,
    errors: 0,
    errorCodes: {},
    statusCodes: { '200': 100 },
    responses: 100,
  }) as unknown as LoadResult;

/** keel's /health/db, measured in turns with a baseline of the same speed, with this many probe statements in 4 windows. */
function healthDbRuns(probeStatements: number): EndpointRun[] {
  return [
    {
      label: 'keel /health/db',
      role: 'keel',
      path: '/health/db',
      load: load(1000, 10),
      sql: { transactions: 0, sessions: 1, requests: 1000, loadMs: 3000, probeStatements, windows: 4 },
    },
    { label: 'baseline', role: 'baseline', path: '/health', pairedWith: 'keel /health/db', load: load(1000, 10) },
  ];
}

describe('bench/targets.ts', () => {
  it('holds each target once, under a name the report code checks', () => {
    const names = TARGETS.map((entry) => entry.name);
    expect(new Set(names).size, 'target names are unique').to.equal(names.length);
    const sources = reportSources();
    for (const name of names) expect(sources, `bench/ checks the target "${name}"`).to.include(`target('${name}')`);
  });

  it('compares a measured value to the bound as its comparison says: ≥ and ≤ inclusive, < strict, = exact', () => {
    expect([0.89, 0.9, 0.91].map((value) => meets(withBound('≥', 0.9), value))).to.deep.equal([false, true, true]);
    expect([1.19, 1.2, 1.21].map((value) => meets(withBound('≤', 1.2), value))).to.deep.equal([true, true, false]);
    expect([-1, 0, 1].map((value) => meets(withBound('<', 0), value))).to.deep.equal([true, false, false]);
    expect([0, 1, 2].map((value) => meets(withBound('=', 1), value))).to.deep.equal([false, true, false]);
  });

  it('adds a bound relative to a keel setting to the value keel runs with, and will not judge without it', () => {
    const margin = withBound('≤', 100, 'DB_PROBE_TIMEOUT_MS');
    expect(boundOf(margin, 1000)).to.equal(1100);
    expect(meets(margin, 1100, 1000)).to.equal(true);
    expect(meets(margin, 1101, 1000)).to.equal(false);
    expect(() => boundOf(margin)).to.throw('DB_PROBE_TIMEOUT_MS');
  });
});

describe('bench/report.ts checkTargets', () => {
  const probeCheck = (probeStatements: number) =>
    checkTargets(healthDbRuns(probeStatements)).find((check) => check.target.includes('probe statement per probe window'));

  it('passes /health/db at one probe statement per probe window and misses at one more', () => {
    expect(probeCheck(4)).to.include({ target: '/health/db ≤ 1 probe statement per probe window', pass: true });
    expect(probeCheck(5)).to.include({ measured: '5 in 4 windows', pass: false });
  });
});

describe('bench/resource-report.ts authenticationChecks', () => {
  const measured = (requestsPerSecond: number, non2xx = 0): Measured => ({
    load: { ...load(requestsPerSecond, 10), non2xx },
    serverCpuMicrosPerRequest: 100,
    serverCpuShare: 1,
    responses: 100,
    loadMs: 1000,
    windows: 1,
    turnRates: [requestsPerSecond],
  });
  const check = (authenticated: Measured, open: Measured) => authenticationChecks({ label: 'GET /widgets/:id', authenticated, open })[0];

  it('passes a request with a bearer token at 0.9× the same build with AUTH=off, and misses below', () => {
    expect(check(measured(900), measured(1000))).to.include({
      target: 'GET /widgets/:id with a bearer token: throughput ≥ 0.9× the same build with AUTH=off',
      measured: '0.90× (900 vs 1,000 req/s)',
      pass: true,
    });
    expect(check(measured(899), measured(1000))).to.include({ pass: false });
  });

  it('misses when either side answered anything but 2xx: a 401 is fast, and measures nothing', () => {
    expect(check(measured(1000, 5), measured(1000))).to.include({ pass: false });
    expect(check(measured(1000), measured(1000, 5))).to.include({ pass: false });
  });
});

describe('bench/resource-report.ts resourceChecks', () => {
  const measured = (requestsPerSecond: number, p99 = 10): Measured => ({
    load: load(requestsPerSecond, p99),
    serverCpuMicrosPerRequest: 100,
    serverCpuShare: 1,
    responses: 100,
    loadMs: 1000,
    windows: 1,
    turnRates: [requestsPerSecond],
  });
  const wire = (roundTrips: number): WirePerRequest => ({ requests: 200, roundTrips, statements: {}, encrypted: 0 });
  const post = (keel: number, sameStatements: number, autocommit: number, p99 = 10): ResourceEndpoint => ({
    label: 'POST /widgets',
    write: true,
    keel: measured(keel, p99),
    keelWire: wire(2),
    baselines: [
      { kind: 'same statements', measured: measured(sameStatements), wire: wire(3) },
      { kind: 'autocommit', measured: measured(autocommit), wire: wire(1) },
    ],
  });
  const byTarget = (endpoint: ResourceEndpoint): Record<string, boolean> =>
    Object.fromEntries(resourceChecks([endpoint]).map((check) => [check.target, check.pass]));

  it('judges a write at 0.75× the same statements and 0.5× autocommit, its p99 against the same statements only', () => {
    expect(byTarget(post(750, 1000, 1500, 13))).to.deep.equal({
      'POST /widgets throughput ≥ 0.75× baseline (same statements)': true,
      'POST /widgets p99 ≤ 1.3× baseline p99 (same statements)': true,
      'POST /widgets throughput ≥ 0.5× baseline (autocommit)': true,
      'POST /widgets: SQL round trips ≤ its statements + 1': true,
    });
    const missed = byTarget(post(749, 1000, 1500.1, 13.1));
    expect(Object.values(missed)).to.deep.equal([false, false, false, true]);
  });

  it('judges a read at 0.85× the same statement', () => {
    const get = (keel: number): ResourceEndpoint => ({
      label: 'GET /widgets/:id',
      write: false,
      keel: measured(keel),
      keelWire: wire(1),
      baselines: [{ kind: 'same statement', measured: measured(1000), wire: wire(1) }],
    });
    expect(byTarget(get(850))['GET /widgets/:id throughput ≥ 0.85× baseline (same statement)']).to.equal(true);
    expect(byTarget(get(849))['GET /widgets/:id throughput ≥ 0.85× baseline (same statement)']).to.equal(false);
  });
});

describe('bench/resource-report.ts memoryChecks', () => {
  const run = (rssGrowthPercent: number, heapGrowthPercent: number, non2xx = 0) =>
    memoryChecks({
      durationSeconds: 60,
      warmupSeconds: 10,
      samples: [],
      responses: 1000,
      non2xx,
      errors: 0,
      rssGrowthPercent,
      heapGrowthPercent,
    });

  it('passes growth under 10% of RSS and of the heap after a forced GC, and misses at 10%', () => {
    expect(run(9.9, -1).map((check) => check.pass)).to.deep.equal([true, true]);
    expect(run(10, 10).map((check) => check.pass)).to.deep.equal([false, false]);
  });

  it('misses when the steady run had failed requests: a leak measured on errors measures nothing', () => {
    expect(run(0, 0, 3).map((check) => check.pass)).to.deep.equal([false, false]);
  });
});
