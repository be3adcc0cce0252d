// The resource mode: what a feature request costs. keel serving a generated resource (a throwaway
// copy, bench/resource-copy.ts) as a product would, verifying bearer tokens of an identity provider
// the bench runs (bench/identity.ts; every request carries the same token, so keel verifies it once
// and then finds it in its cache), against bare Express + pg running the same SQL
// (bench/baseline-resource-server.ts), taking turns: reads against the same statement, writes
// against the same statements in the same transaction and against the statement alone; then what
// authentication costs, the same build with and without it (bench/resource-auth.ts); then the SQL
// round trips per request of each, counted on the wire by a proxy (test/support/fault-proxy.ts).
import crypto from 'node:crypto';
import path from 'node:path';
import { startFaultProxy } from '../test/support/fault-proxy';
import type { WireCounts } from '../test/support/pg-wire';
import type { BenchDatabase } from './database';
import type { BenchIdentity } from './identity';
import { describe, ROOT, send, startBaseline, startKeel, stopAll, type ServerProcess } from './keel';
import type { RequestShape } from './load';
import { measureAuthentication, type AuthenticationResult } from './resource-auth';
import type { ResourceCopy } from './resource-copy';
import { keelSetting } from './settings';
import { DELETES_PER_SECOND_BOUND, RowSupply, ROWS_TO_CHANGE } from './resource-rows';
import { measureRotation, Side, type Measured } from './throughput';

export const BASELINE_RESOURCE = path.join(ROOT, 'dist', 'bench', 'baseline-resource-server.js');

/** Requests counted on the wire per endpoint and server, after WIRE_WARMUP_REQUESTS not counted. */
export const WIRE_REQUESTS = 200;
const WIRE_WARMUP_REQUESTS = 20;

export interface ResourceOptions {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly shutdownGraceMs: number;
  readonly log: (line: string) => void;
  /** Leave out the authentication comparison (two more keel processes). */
  readonly skipAuthentication?: boolean;
}

/** Round trips and completed statements per request, for one server on one endpoint. */
export interface WirePerRequest {
  readonly requests: number;
  readonly roundTrips: number;
  /** CommandComplete tags per request ("INSERT": 1, "START TRANSACTION": 1...). */
  readonly statements: Readonly<Record<string, number>>;
  readonly encrypted: number;
}

/**
 * What a baseline sends for an operation: reads the same statement; writes either the same statements
 * as keel's unit of work (begin with the settings, the statement, commit) or the statement alone.
 */
export type BaselineKind = 'same statement' | 'same statements' | 'autocommit';

export interface BaselineMeasured {
  readonly kind: BaselineKind;
  readonly measured: Measured;
  readonly wire: WirePerRequest;
}

export interface ResourceEndpoint {
  readonly label: string;
  readonly write: boolean;
  readonly keel: Measured;
  readonly keelWire: WirePerRequest;
  /** The first is the one its targets compare with (the same statements). */
  readonly baselines: readonly BaselineMeasured[];
}

export interface ResourceResult {
  readonly endpoints: ResourceEndpoint[];
  readonly authentication: AuthenticationResult | undefined;
  readonly samples: Record<string, string>;
}

/** Where each side serves the resource: the baseline's unit-of-work writes under a prefix of their own. */
const BASE: Readonly<Record<BaselineKind | 'keel', string>> = {
  keel: '/widgets',
  'same statement': '/widgets',
  'same statements': '/unit-of-work/widgets',
  autocommit: '/widgets',
};

interface Operation {
  readonly label: string;
  readonly write: boolean;
  readonly baselines: readonly BaselineKind[];
  /** The request at a side's base path; every side sends the same. */
  readonly request: (base: string) => RequestShape;
  /** Rows to work on before each spell of load (outside the measurement). */
  readonly prepare?: (seconds: number) => Promise<void>;
}

/** The baseline's pool is the size of keel's: DB_POOL_MAX as passed through to keel, else keel's default. */
const baselineEnv = (databaseUrl: string, identity: BenchIdentity): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  DB_POOL_MAX: String(keelSetting('DB_POOL_MAX')),
  // What keel's settings hook (app/request-settings.ts) makes of the token, in its order.
  BENCH_SETTINGS: JSON.stringify({ tenant_id: identity.tenant, user_id: identity.user }),
});

const widgetBody = (name: string): string => JSON.stringify({ name, size: 3, note: 'bench' });
const WRITES: readonly BaselineKind[] = ['same statements', 'autocommit'];
const READS: readonly BaselineKind[] = ['same statement'];
export const LIST_PAGE = 20;

/**
 * Each request carries the token: keel's settings hook makes its user and tenant the unit of work's two
 * settings. PATCH goes round ROWS_TO_CHANGE rows; DELETE deletes rows made for each spell of load, each
 * once; both sides alike.
 */
function operations(identity: BenchIdentity, readId: string, databaseUrl: string): readonly Operation[] {
  const json = { ...identity.headers, 'Content-Type': 'application/json' };
  const toChange = new RowSupply(databaseUrl, 'bench-change', true);
  const toDelete = new RowSupply(databaseUrl, 'bench-delete', false);
  let changeRowsMade = false;
  return [
    {
      label: 'GET /widgets/:id',
      write: false,
      baselines: READS,
      request: (base) => ({ method: 'GET', path: () => `${base}/${readId}`, headers: identity.headers }),
    },
    {
      label: `GET /widgets?limit=${LIST_PAGE}`,
      write: false,
      baselines: READS,
      request: (base) => ({ method: 'GET', path: () => `${base}?limit=${LIST_PAGE}`, headers: identity.headers }),
    },
    {
      label: 'POST /widgets',
      write: true,
      baselines: WRITES,
      // A unique name per request: name is a unique column.
      request: (base) => ({ method: 'POST', path: () => base, body: () => widgetBody(`bench-${crypto.randomUUID()}`), headers: json }),
    },
    {
      label: 'PATCH /widgets/:id',
      write: true,
      baselines: WRITES,
      request: (base) => ({
        method: 'PATCH',
        path: () => `${base}/${toChange.id()}`,
        body: () => JSON.stringify({ size: Math.floor(Math.random() * 1000) }),
        headers: json,
      }),
      prepare: async () => {
        if (changeRowsMade) return;
        await toChange.fill(ROWS_TO_CHANGE);
        changeRowsMade = true;
      },
    },
    {
      label: 'DELETE /widgets/:id',
      write: true,
      baselines: WRITES,
      request: (base) => ({ method: 'DELETE', path: () => `${base}/${toDelete.id()}`, headers: identity.headers }),
      prepare: (seconds) => toDelete.fill(Math.ceil(seconds * DELETES_PER_SECOND_BOUND) + WIRE_REQUESTS + WIRE_WARMUP_REQUESTS),
    },
  ];
}

/** One request of an operation, as the load sends it. */
async function sendOne(server: ServerProcess, shape: RequestShape): Promise<{ status: number; body: string }> {
  return send(server.port, shape.method ?? 'GET', shape.path?.() ?? '/', shape.body?.(), shape.headers);
}

/** One widget to read, created through keel. */
async function createWidget(keel: ServerProcess, identity: BenchIdentity): Promise<string> {
  const answer = await send(keel.port, 'POST', '/widgets', widgetBody(`read-${crypto.randomUUID()}`), identity.headers);
  if (answer.status !== 201) throw new Error(`keel did not create a widget: ${describe(answer.status, answer.body)}`);
  return (JSON.parse(answer.body) as { id: string }).id;
}

export async function runResource(
  database: BenchDatabase,
  copy: ResourceCopy,
  identity: BenchIdentity,
  options: ResourceOptions,
): Promise<ResourceResult> {
  const samples: Record<string, string> = {};
  const measured = new Map<string, Measured[]>();
  let keel: ServerProcess | undefined;
  let baseline: ServerProcess | undefined;
  let id: string;
  try {
    keel = await startKeel(database.url, identity.keelEnv, copy.root);
    baseline = await startBaseline(BASELINE_RESOURCE, baselineEnv(database.url, identity));
    id = await createWidget(keel, identity);
    for (const operation of operations(identity, id, database.url)) {
      const sides: [ServerProcess, string][] = [
        [keel, 'keel'],
        ...operation.baselines.map((kind): [ServerProcess, string] => [baseline as ServerProcess, kind]),
      ];
      await operation.prepare?.(1);
      for (const [server, kind] of sides) {
        const answer = await sendOne(server, operation.request(BASE[kind as keyof typeof BASE]));
        samples[`${server.name}${server === baseline ? ` (${kind})` : ''} ${operation.label}`] = describe(answer.status, answer.body);
      }
      options.log(`${operation.label}: ${options.warmupSeconds} s warm-up each, then keel and ${operation.baselines.join(', ')} in turns`);
      const sideOptions = { ...options, probeWindowMs: keelSetting('DB_PROBE_CACHE_MS') };
      measured.set(
        operation.label,
        await measureRotation(
          sides.map(
            ([server, kind]) =>
              new Side(
                server,
                `http://127.0.0.1:${server.port}`,
                sideOptions,
                operation.request(BASE[kind as keyof typeof BASE]),
                operation.prepare,
              ),
          ),
          options.durationSeconds,
        ),
      );
    }
  } finally {
    await stopAll([keel, baseline], options.shutdownGraceMs);
  }
  const authentication = options.skipAuthentication
    ? undefined
    : await measureAuthentication(database.url, copy.root, identity, id, options, samples);
  const wire = await countOnTheWire(database, copy, identity, options);
  return {
    samples,
    authentication,
    endpoints: operations(identity, id, database.url).map((operation) => {
      const [keelMeasured, ...baselinesMeasured] = measured.get(operation.label) ?? [];
      const counted = wire.get(operation.label);
      if (!keelMeasured || !counted) throw new Error(`${operation.label} was not measured`);
      return {
        label: operation.label,
        write: operation.write,
        keel: keelMeasured,
        keelWire: counted.keel,
        baselines: operation.baselines.map((kind, index) => {
          const baselineMeasured = baselinesMeasured[index];
          const baselineWire = counted.baselines[index];
          if (!baselineMeasured || !baselineWire) throw new Error(`${operation.label}: ${kind} was not measured`);
          return { kind, measured: baselineMeasured, wire: baselineWire };
        }),
      };
    }),
  };
}

/**
 * A second keel and baseline, pointed at the database through the counting proxy (never the ones
 * measured for speed: the proxy runs in this process, beside the load generator). Each endpoint gets
 * WIRE_WARMUP_REQUESTS requests, then WIRE_REQUESTS counted ones, one at a time: the pools are warm,
 * so connection startup is not counted, and nothing else runs meanwhile.
 */
async function countOnTheWire(
  database: BenchDatabase,
  copy: ResourceCopy,
  identity: BenchIdentity,
  options: ResourceOptions,
): Promise<Map<string, { keel: WirePerRequest; baselines: WirePerRequest[] }>> {
  const proxy = await startFaultProxy(database.url);
  const counted = new Map<string, { keel: WirePerRequest; baselines: WirePerRequest[] }>();
  let keel: ServerProcess | undefined;
  let baseline: ServerProcess | undefined;
  try {
    keel = await startKeel(proxy.url, identity.keelEnv, copy.root);
    baseline = await startBaseline(BASELINE_RESOURCE, baselineEnv(proxy.url, identity));
    const id = await createWidget(keel, identity);
    options.log(`counting SQL round trips through a proxy: ${WIRE_REQUESTS} requests per endpoint and server`);
    for (const operation of operations(identity, id, database.url)) {
      const count = async (server: ServerProcess, base: string): Promise<WirePerRequest> => {
        await operation.prepare?.(0);
        const shape = operation.request(base);
        const one = async (): Promise<void> => {
          const answer = await sendOne(server, shape);
          if (answer.status >= 300) throw new Error(`${server.name} ${operation.label}: ${describe(answer.status, answer.body)}`);
        };
        for (let i = 0; i < WIRE_WARMUP_REQUESTS; i += 1) await one();
        proxy.resetWireCounts();
        for (let i = 0; i < WIRE_REQUESTS; i += 1) await one();
        return perRequest(proxy.wireCounts(), WIRE_REQUESTS);
      };
      const keelCount = await count(keel, BASE.keel);
      const baselines: WirePerRequest[] = [];
      for (const kind of operation.baselines) baselines.push(await count(baseline, BASE[kind]));
      counted.set(operation.label, { keel: keelCount, baselines });
    }
  } finally {
    await stopAll([keel, baseline], options.shutdownGraceMs);
    await proxy.close();
  }
  return counted;
}

function perRequest(counts: WireCounts, requests: number): WirePerRequest {
  return {
    requests,
    roundTrips: counts.roundTrips / requests,
    statements: Object.fromEntries(Object.entries(counts.statements).map(([tag, count]) => [tag, count / requests])),
    encrypted: counts.encrypted,
  };
}
