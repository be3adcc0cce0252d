// npm run bench [-- --duration 10 --connections 50 --warmup 2]
// npm run bench:faults [-- --duration 10 --connections 50]
// npm run bench:resource [-- --resource-ref HEAD --resource-merge <branch> --memory-duration 60 --skip-authentication]
// npm run bench:traces [-- --traces-without <commit>]
//
// A benchmark, not a test: autocannon against the compiled keel server (dist/bin/www.js) and a bare
// Express 4 baseline, each a separate process on loopback; prints a markdown report. Linux only
// (server CPU time is read from /proc). Nothing is written to the repository.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { openBenchDatabase, type BenchDatabase } from './database';
import {
  DATABASE_DOWN_INTERVAL_MS,
  LIVENESS_CONNECTIONS,
  LIVENESS_INTERVAL_MS,
  runDatabaseDown,
  runShutdown,
  type FaultOptions,
} from './faults';
import { startBenchIdentity, TOKEN_LIFETIME_S } from './identity';
import { BASELINE, passedThroughSettings, ROOT, WWW } from './keel';
import { BASELINE_RESOURCE } from './resource';
import {
  baselineOf,
  checkTargets,
  databaseDownChecks,
  databaseDownTable,
  ratiosTable,
  resultsTable,
  shutdownChecks,
  shutdownTable,
  sqlSection,
  table,
  targetsTable,
} from './report';
import { killSpawnedProcesses } from '../test/support/node-process';
import { clockTicksPerSecond } from './process-cpu';
import { LIST_PAGE, runResource, WIRE_REQUESTS } from './resource';
import { prepareResourceCopy } from './resource-copy';
import { measureVerification, VERIFICATIONS } from './verification-cost';
import { measureMemory, MEMORY_SAMPLES } from './resource-memory';
import {
  authenticationChecks,
  authenticationTable,
  memoryChecks,
  memoryTable,
  resourceChecks,
  resourceRatiosTable,
  resourceResultsTable,
} from './resource-report';
import { isSet, keelSetting } from './settings';
import { meets, target } from './targets';
import { runThroughput, SLICES, type Measured } from './throughput';
import { runTraces } from './traces';

const USAGE = `usage: node dist/bench/run.js [--faults | --resource [--resource-ref REF] [--resource-merge REF] [--memory-duration S] [--skip-authentication]] [--duration S] [--connections N] [--warmup S]
  --duration        seconds of measured load per endpoint and server, in 5 turns (default 10)
  --connections     concurrent connections (default 50)
  --warmup          seconds of unmeasured load before each measured run (default 2)
  --faults          the faults mode: database down, SIGTERM under load
  --resource        the resource mode: a generated widgets resource against bare Express + pg, and
                    with bearer tokens against AUTH=off
  --resource-ref    the commit the generated copy starts from (default HEAD: committed work only)
  --resource-merge  a branch merged into that copy first (a generator not on the commit yet)
  --memory-duration seconds of the resource mode's steady memory run (default 60; its first sixth is warm-up)
  --skip-authentication  leave out the resource mode's comparison with AUTH=off
  --traces          the traces mode: GET /widgets/:id of a generated resource with tracing on (default
                    sampling) against off, and off against a build without tracing
  --traces-sampler  OTEL_TRACES_SAMPLER of the traced process (default: keel's, parent-based 10%), to see
                    what recording costs: always_off (spans made, none recorded) or always_on (every one)
  --traces-without  the commit without tracing for that comparison (default: where HEAD left main,
                    git merge-base HEAD main, so that nothing but this branch's work differs)
environment: BENCH_DATABASE_URL (else an embedded PostgreSQL is started); keel settings such as
  DB_PROBE_CACHE_MS, DB_PROBE_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS are passed through to keel.`;

interface Options {
  readonly faults: boolean;
  readonly resource: boolean;
  readonly traces: boolean;
  readonly tracesWithout: string;
  readonly tracesSampler: string | undefined;
  readonly resourceRef: string;
  readonly resourceMerge: string | undefined;
  readonly memorySeconds: number;
  readonly skipAuthentication: boolean;
  readonly durationSeconds: number;
  readonly connections: number;
  readonly warmupSeconds: number;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number, got "${value}"`);
  return parsed;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      faults: { type: 'boolean', default: false },
      resource: { type: 'boolean', default: false },
      'resource-ref': { type: 'string', default: 'HEAD' },
      'resource-merge': { type: 'string' },
      traces: { type: 'boolean', default: false },
      'traces-without': { type: 'string' },
      'traces-sampler': { type: 'string' },
      'memory-duration': { type: 'string' },
      'skip-authentication': { type: 'boolean', default: false },
      duration: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if ([values.faults, values.resource, values.traces].filter(Boolean).length > 1) {
    throw new Error('--faults, --resource and --traces are three modes: choose one');
  }
  return {
    faults: values.faults ?? false,
    resource: values.resource ?? false,
    traces: values.traces ?? false,
    tracesSampler: values['traces-sampler'],
    tracesWithout: values['traces-without'] ?? execFileSync('git', ['merge-base', 'HEAD', 'main'], { cwd: ROOT, encoding: 'utf8' }).trim(),
    resourceRef: values['resource-ref'] ?? 'HEAD',
    resourceMerge: values['resource-merge'],
    memorySeconds: positive('memory-duration', values['memory-duration'], 60),
    skipAuthentication: values['skip-authentication'] ?? false,
    durationSeconds: positive('duration', values.duration, 10),
    connections: Math.round(positive('connections', values.connections, 50)),
    warmupSeconds: positive('warmup', values.warmup, 2),
  };
}

const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};
const whole = (value: number): string => Math.round(value).toLocaleString('en-US');
const print = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};

function header(options: Options, database: BenchDatabase | undefined): void {
  const cpus = os.cpus();
  const passed = Object.entries(passedThroughSettings())
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  const mode = options.faults ? ': faults' : options.resource ? ': a generated resource' : options.traces ? ': traces' : '';
  print(`# keel benchmark${mode}`);
  print();
  print(`- ${new Date().toISOString()}; Node ${process.version}; ${os.platform()} ${os.release()}`);
  print(
    `- ${cpus.length} CPU(s): ${cpus[0]?.model ?? 'unknown'}; 1-minute load average ${LOAD_BEFORE.toFixed(2)} before the bench, ` +
      `${(os.loadavg()[0] ?? 0).toFixed(2)} after`,
  );
  if (LOAD_BEFORE > cpus.length / 2) {
    print(
      `- **warning**: load average ${LOAD_BEFORE.toFixed(2)} on ${cpus.length} CPUs before the bench: other processes compete for the CPU, ` +
        `so throughput and latency are noisy; server CPU per request is the least affected figure`,
    );
  }
  if (database)
    print(`- database: ${database.source}, PostgreSQL ${database.serverVersion}, dedicated database ${database.name} (migrations applied)`);
  if (!options.faults) {
    print(
      `- load: autocannon, ${options.connections} connections, loopback 127.0.0.1; per endpoint ${options.warmupSeconds} s warm-up of each server (not counted), ` +
        `then keel and the baseline take turns: ${SLICES} slices of ${options.durationSeconds / SLICES} s each (${options.durationSeconds} s measured per server)`,
    );
  }
  print(
    `- keel: \`node dist/bin/www.js\`, NODE_ENV=production, LOG_LEVEL=info, WEB_CONCURRENCY=1; settings passed through: ${passed || 'none (keel defaults)'}`,
  );
}

/** Other work on the machine before the bench started (the bench itself then adds about 2). */
const LOAD_BEFORE = os.loadavg()[0] ?? 0;

const cleanups: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup().catch((error: unknown) => log(`clean-up failed: ${String(error)}`));
  }
}

async function throughputMode(options: Options): Promise<void> {
  const probeWindowMs = keelSetting('DB_PROBE_CACHE_MS');
  const shutdownGraceMs = keelSetting('SHUTDOWN_TIMEOUT_MS') + 5_000;
  const database = await openBenchDatabase(process.env.BENCH_DATABASE_URL);
  cleanups.push(() => database.close());
  const started = performance.now();
  const { runs, samples } = await runThroughput(database, {
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    probeWindowMs,
    shutdownGraceMs,
    log,
  });

  header(options, database);
  print(`- baseline: bench/baseline-server.ts, a bare Express 4 app.get('/health') with the same JSON and headers`);
  print();
  print('## Results');
  print();
  print(resultsTable(runs));
  print();
  print(
    `Latency is measured by the client for every response (any status), microsecond resolution. Server CPU is utime+stime ` +
      `of the server process from /proc/<pid>/stat (Linux only; CLK_TCK=${clockTicksPerSecond()}, so ±${1_000_000 / clockTicksPerSecond()} µs ` +
      `per run in total) over the measured run, per response; "server CPU" and "client CPU" are shares of one core ` +
      `(the load generator runs in the bench process; near 100% it, not the server, may be the bottleneck).`,
  );
  print();
  print('## SQL executed by the database (keel servers)');
  print();
  print(sqlSection(runs, probeWindowMs));
  print();
  print(
    `Counted on the database side: pg_stat_database.xact_commit + xact_rollback of the dedicated database (one per ` +
      `statement outside an explicit transaction), read before each keel server started and after it exited and its ` +
      `backends were gone. It covers the whole server life: the boot ping, the first check, the warm-up and the measured run, ` +
      `so SQL/req divides by all those requests. Each new pooled connection costs two: PostgreSQL's session startup and ` +
      `keel's session-setup statement; the process's first connection one more: Sequelize's type-OID lookup. ` +
      `"probe statements" is what remains, the boot ping included. Probe window: ${probeWindowMs} ms ` +
      `(DB_PROBE_CACHE_MS${isSet('DB_PROBE_CACHE_MS') ? '' : ', keel default'}).`,
  );
  print();
  const baseline = baselineOf(runs);
  if (!baseline) throw new Error('the baseline was not measured');
  const baselineRates = runs.filter((run) => run.role === 'baseline' && run.load).map((run) => run.load?.requestsPerSecond ?? 0);
  print('## Ratios to the baseline');
  print();
  print(
    `Each keel endpoint against the baseline measured in turns with it (${SLICES} slices each, ABBA order). All baseline ` +
      `runs: mean ${whole(baseline.requestsPerSecond)} req/s, p99 ${baseline.p99Ms.toFixed(2)} ms; slowest/fastest ` +
      `${(Math.min(...baselineRates) / Math.max(...baselineRates)).toFixed(2)} (how much the machine drifted during the bench).`,
  );
  print();
  print(ratiosTable(runs));
  print();
  print('## Targets');
  print();
  print(targetsTable(checkTargets(runs)));
  print();
  print('## First answer of each server');
  print();
  for (const [name, sample] of Object.entries(samples)) print(`- ${name}: \`${sample}\``);
  print();
  print(`Bench wall time: ${((performance.now() - started) / 1000).toFixed(0)} s (database start-up excluded).`);
}

async function resourceMode(options: Options): Promise<void> {
  const shutdownGraceMs = keelSetting('SHUTDOWN_TIMEOUT_MS') + 5_000;
  const started = performance.now();
  const copy = await prepareResourceCopy({ ref: options.resourceRef, mergeFrom: options.resourceMerge, log });
  cleanups.push(() => copy.remove());
  const database = await openBenchDatabase(process.env.BENCH_DATABASE_URL, copy.root);
  cleanups.push(() => database.close());
  const identity = await startBenchIdentity();
  cleanups.push(() => identity.close());
  // Before any server runs: the bench process has the cores to itself, apart from other tenants.
  const verification = await measureVerification(() => identity.verifyToken());
  const measuredFrom = performance.now();
  const { endpoints, authentication, samples } = await runResource(database, copy, identity, {
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    shutdownGraceMs,
    log,
    skipAuthentication: options.skipAuthentication,
  });
  const memory = await measureMemory(database.url, copy.root, identity, {
    connections: options.connections,
    durationSeconds: options.memorySeconds,
    shutdownGraceMs,
    log,
  });

  header(options, database);
  print(
    `- keel serving: a throwaway clone of ${copy.description} after \`npm run generate:resource -- widgets name:string:unique ` +
      `size:integer note:text:optional\`, built, unchanged (its resources need a caller)`,
  );
  print(
    `- callers: AUTH=on with AUTH_ISSUER an identity provider the bench runs on 127.0.0.1 (test/support/identity-provider.ts; ` +
      `keel fetches its discovery document and keys at boot). Every request carries the same ${identity.algorithm} bearer token ` +
      `(${identity.tokenLength} characters; sub ${identity.user}, tenant_id ${identity.tenant}, valid ${TOKEN_LIFETIME_S} s): keel verifies it once, then finds its claims ` +
      `in its verified-claims cache (per token, at most 10,000 tokens, each until it expires); its settings hook turns user and ` +
      `tenant into the two settings each unit of work carries. The baseline ignores the token`,
  );
  print(
    `- baseline: bench/baseline-resource-server.ts, bare Express 4 + express.json() + a pg Pool of the same size, running the SQL ` +
      `keel's model runs (read off the statements keel's pg client sends): the same SELECTs; each write twice, in keel's unit of work's statements ` +
      `(START TRANSACTION; SELECT set_config(…) as one simple query, the statement, COMMIT, on one pooled client: "same statements") and alone ` +
      `in autocommit (one round trip: "autocommit"); no validation, headers or logging. PATCH goes round 2,000 rows made before its turns; ` +
      `DELETE deletes rows made by the bench before each turn (outside the measurement), each once; both sides alike`,
  );
  print();
  print('## Results');
  print();
  print(resourceResultsTable(endpoints));
  print();
  print(
    `Throughput, latency and CPU as in the default mode (CPU: utime+stime of the server process per response). SQL round trips ` +
      `and statements were counted on the wire by a proxy (test/support/fault-proxy.ts) in front of a second keel and baseline ` +
      `(never the ones measured for speed): ${WIRE_REQUESTS} requests one at a time per endpoint on warm pools; a round trip is a ` +
      `simple Query or an extended-protocol Sync, a statement a CommandComplete from the server. GET reads a widget keel created; ` +
      `each POST creates one with a unique name; the list is its first page of ${LIST_PAGE}.`,
  );
  print();
  print('## Ratios to the baseline');
  print();
  print(resourceRatiosTable(endpoints));
  print();
  print('## Memory under steady load');
  print();
  print(memoryTable(memory));
  print();
  print(
    `One more keel process of the same build, started with --expose-gc and bench/gc-hook.js (a listener of the bench's, ` +
      `loaded into that process only, that forces a full GC and answers process.memoryUsage()): ${options.connections} connections for ` +
      `${memory.durationSeconds} s, each going round a widget's life (POST, GET by id, PATCH, the list, DELETE); ${MEMORY_SAMPLES + 1} samples ` +
      `from the end of the warm-up (${memory.warmupSeconds.toFixed(0)} s) to the end, the heap read after the forced GC. Growth: the last sample over the first.`,
  );
  print();
  if (authentication) {
    print('## What authentication costs');
    print();
    print(authenticationTable(authentication));
    print();
    print(
      `Two more keel processes of the same build, started for this comparison and measured in turns like the others: ` +
        `AUTH=on with the bench's token, and AUTH=off serving the same request without one. GET /widgets/:id reads outside a ` +
        `transaction, so the difference is authenticating a request whose token is in the cache: a longer request to parse ` +
        `(the Authorization header), the route's guard, the token's SHA-256 and the cache lookup, the scope and settings checks. What the cache saves: one ` +
        `${identity.algorithm} verification of the token (jose's jwtVerify, in the bench's process before any server ran, ` +
        `${VERIFICATIONS} in a row) cost ${verification.cpuMicros.toFixed(0)} µs of CPU (${verification.wallMicros.toFixed(0)} µs wall), ` +
        `which every request would pay on top without it.`,
    );
    print();
  }
  print('## Targets');
  print();
  print(
    targetsTable([...resourceChecks(endpoints), ...memoryChecks(memory), ...(authentication ? authenticationChecks(authentication) : [])]),
  );
  print();
  print('## First answer of each server');
  print();
  for (const [name, sample] of Object.entries(samples)) print(`- ${name}: \`${sample}\``);
  print();
  print(
    `Bench wall time: ${((performance.now() - measuredFrom) / 1000).toFixed(0)} s measured; ` +
      `${((measuredFrom - started) / 1000).toFixed(0)} s to clone, generate, build and migrate.`,
  );
}

function tracesRow(name: string, measured: Measured, against?: Measured): string[] {
  const { load } = measured;
  return [
    name,
    whole(load.requestsPerSecond),
    load.latencyMs.p99.toFixed(2),
    measured.serverCpuMicrosPerRequest.toFixed(0),
    measured.turnRates.map((rate) => whole(rate)).join(' / '),
    against ? `${(load.requestsPerSecond / against.load.requestsPerSecond).toFixed(3)}×` : '',
  ];
}

async function tracesMode(options: Options): Promise<void> {
  const shutdownGraceMs = keelSetting('SHUTDOWN_TIMEOUT_MS') + 5_000;
  const started = performance.now();
  const current = await prepareResourceCopy({ ref: 'HEAD', log });
  cleanups.push(() => current.remove());
  const without = await prepareResourceCopy({ ref: options.tracesWithout, log });
  cleanups.push(() => without.remove());
  const database = await openBenchDatabase(process.env.BENCH_DATABASE_URL, current.root);
  cleanups.push(() => database.close());
  const identity = await startBenchIdentity();
  cleanups.push(() => identity.close());
  const measuredFrom = performance.now();
  const result = await runTraces(database.url, { current: current.root, without: without.root }, identity, {
    sampler: options.tracesSampler,
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    shutdownGraceMs,
    log,
  });

  header(options, database);
  print(
    `- keel serving: throwaway clones after \`npm run generate:resource -- widgets …\`, built, unchanged: ${current.description} ` +
      `(tracing on, and off) and ${without.description} (without tracing); AUTH=off, METRICS_TOKEN set on all three`,
  );
  print(
    `- tracing on: OTEL_EXPORTER_OTLP_ENDPOINT a receiver the bench runs on 127.0.0.1 (test/support/otlp-receiver.ts, answers 200, ` +
      `decodes nothing), ${
        options.tracesSampler ? `OTEL_TRACES_SAMPLER=${options.tracesSampler}, every other` : 'every'
      } OTEL_* variable at keel's default: parent-based, 10% of new traces, protobuf, batches every 5 s`,
  );
  print();
  print('## Results');
  print();
  print(
    table(
      ['GET /widgets/:id', 'req/s', 'p99 ms', 'server CPU µs/req', 'req/s per turn', 'ratio'],
      [
        tracesRow(options.tracesSampler ? `tracing on (${options.tracesSampler})` : 'tracing on', result.traced, result.off),
        tracesRow('tracing off (against on)', result.off),
        tracesRow('tracing off (against without)', result.offAgain, result.without),
        tracesRow('build without tracing', result.without),
      ],
      [1, 2, 3, 5],
    ),
  );
  print();
  print(
    `Two pairs, each measured in turns (${SLICES} slices each, ABBA order): tracing on against off, then off against the build ` +
      `without tracing. The receiver got ${whole(result.exports)} export requests (${whole(result.exportedBytes / 1024)} KiB); ` +
      `keel_trace_spans_dropped_total of the traced process at the end: ${result.dropped}.`,
  );
  print();
  print('## Targets');
  print();
  if (options.tracesSampler)
    print(`(The first target is about keel's default sampling; this run's traced process used ${options.tracesSampler}.)\n`);
  const verdicts = [
    [target('traces on throughput'), result.traced.load.requestsPerSecond / result.off.load.requestsPerSecond],
    [target('traces off throughput'), result.offAgain.load.requestsPerSecond / result.without.load.requestsPerSecond],
  ] as const;
  print(
    table(
      ['target', 'bound', 'measured', 'verdict'],
      verdicts.map(([of, ratio]) => [
        of.metric,
        `${of.comparison} ${of.bound}×`,
        `${ratio.toFixed(3)}×`,
        meets(of, ratio) ? 'PASS' : 'MISS',
      ]),
    ),
  );
  print();
  print('## First answer of each server');
  print();
  for (const [name, sample] of Object.entries(result.samples)) print(`- ${name}: \`${sample}\``);
  print();
  print(
    `Bench wall time: ${((performance.now() - measuredFrom) / 1000).toFixed(0)} s measured; ` +
      `${((measuredFrom - started) / 1000).toFixed(0)} s to clone, generate, build and migrate.`,
  );
}

async function faultsMode(options: Options): Promise<void> {
  const probeTimeoutMs = keelSetting('DB_PROBE_TIMEOUT_MS');
  const shutdownTimeoutMs = keelSetting('SHUTDOWN_TIMEOUT_MS');
  const liveness = target('liveness p99 with the database down');
  const faultOptions: FaultOptions = {
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    probeTimeoutMs,
    shutdownTimeoutMs,
    log,
  };
  const started = performance.now();
  const down = await runDatabaseDown(faultOptions);
  const database = await openBenchDatabase(process.env.BENCH_DATABASE_URL);
  cleanups.push(() => database.close());
  const shutdown = await runShutdown(database, ['/health', '/health/db'], faultOptions);

  header(options, database);
  print();
  print('## /health/db with the database down');
  print();
  print(databaseDownTable(down));
  print();
  for (const result of down) {
    if (result.silentAccepted) {
      print(
        `The silent database accepted ${result.silentAccepted.total} connections in all, at most ${result.silentAccepted.maxOpen} open at once, ` +
          `${result.silentAccepted.openAtEnd} still open when the load ended.`,
      );
    }
  }
  print(
    `Limit: the probe timeout ${probeTimeoutMs} ms (DB_PROBE_TIMEOUT_MS${isSet('DB_PROBE_TIMEOUT_MS') ? '' : ', keel default'}) ` +
      `+ ${target('database down p99').bound} ms margin for HTTP and scheduling on this 2-core machine. Load: ${options.connections} keep-alive ` +
      `clients on /health/db, each sending its next request once the last is answered and at most one per ` +
      `${DATABASE_DOWN_INTERVAL_MS} ms (up to ${Math.round((options.connections * 1000) / DATABASE_DOWN_INTERVAL_MS)} req/s: paced, so the ` +
      `server is not saturated), for ${options.durationSeconds} s; requests still in flight then are waited for and counted. ` +
      `/health is checked meanwhile by ${LIVENESS_CONNECTIONS} such clients, one request per ${LIVENESS_INTERVAL_MS} ms each; ` +
      `"fast" means p99 ${liveness.comparison} ${liveness.bound} ms.`,
  );
  print();
  print('## SIGTERM in the middle of load');
  print();
  print(shutdownTable(shutdown));
  print();
  print(
    `${options.connections} clients send requests one after the other on a shared keep-alive http.Agent; SIGTERM after ` +
      `${options.durationSeconds / 2} s. Outcomes are counted by when they completed. "refused" is a new connection refused ` +
      `once the listener closed (expected; each client stops at its first). "failed" is any other error (reset, socket hang ` +
      `up, timeout), on a reused keep-alive socket or a new connection: requests the server accepted but did not answer.`,
  );
  print();
  print('## Targets');
  print();
  print(targetsTable([...databaseDownChecks(down), ...shutdownChecks(shutdown, shutdownTimeoutMs)]));
  print();
  print(`Bench wall time: ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (process.platform !== 'linux') throw new Error('the bench reads server CPU time from /proc: Linux only');
  for (const file of [WWW, BASELINE, BASELINE_RESOURCE]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first (npm run bench does)`);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the servers and the database`);
      killSpawnedProcesses();
      void cleanUp().then(() => process.exit(130));
    });
  }
  if (options.faults) await faultsMode(options);
  else if (options.resource) await resourceMode(options);
  else if (options.traces) await tracesMode(options);
  else await throughputMode(options);
}

main()
  .then(
    () => 0,
    (error: unknown) => {
      log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return 1;
    },
  )
  .then(async (code) => {
    await cleanUp();
    // Exit explicitly with the run's code, whatever handles the load generator left open.
    process.exit(code);
  });
