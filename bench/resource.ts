// The resource mode: what a feature request costs. keel serving a generated resource (a throwaway
// copy, bench/resource-copy.ts) as a product would, verifying bearer tokens of an identity provider
// the bench runs (bench/identity.ts; every request carries the same token, so keel verifies it once
// and then finds it in its cache), against bare Express + pg running the same SQL
// (bench/baseline-resource-server.ts), taking turns; then what authentication costs, the same build
// with and without it (bench/resource-auth.ts); then the SQL round trips per request of each, counted
// on the wire by a proxy (test/support/fault-proxy.ts).
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
import { measureInTurns, Side, type Measured } from './throughput';

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
}

/** Round trips and completed statements per request, for one server on one endpoint. */
export interface WirePerRequest {
  readonly requests: number;
  readonly roundTrips: number;
  /** CommandComplete tags per request ("INSERT": 1, "START TRANSACTION": 1...). */
  readonly statements: Readonly<Record<string, number>>;
  readonly encrypted: number;
}

export interface ResourceEndpoint {
  readonly label: string;
  readonly keel: Measured;
  readonly baseline: Measured;
  readonly keelWire: WirePerRequest;
  readonly baselineWire: WirePerRequest;
}

export interface ResourceResult {
  readonly endpoints: ResourceEndpoint[];
  readonly authentication: AuthenticationResult;
  readonly samples: Record<string, string>;
}

interface Endpoint {
  readonly label: string;
  readonly path: (id: string) => string;
  readonly request: RequestShape;
}

/** The baseline's pool is the size of keel's: DB_POOL_MAX as passed through to keel, else keel's default. */
const baselineEnv = (databaseUrl: string): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  DB_POOL_MAX: String(keelSetting('DB_POOL_MAX')),
});

const widgetBody = (name: string): string => JSON.stringify({ name, size: 3, note: 'bench' });

/** Each request carries the token: keel's settings hook makes its user and tenant the unit of work's two settings. */
const endpoints = (identity: BenchIdentity): readonly Endpoint[] => [
  { label: 'GET /widgets/:id', path: (id) => `/widgets/${id}`, request: { method: 'GET', headers: identity.headers } },
  {
    label: 'POST /widgets',
    path: () => '/widgets',
    // A unique name per request: name is a unique column.
    request: {
      method: 'POST',
      body: () => widgetBody(`bench-${crypto.randomUUID()}`),
      headers: { ...identity.headers, 'Content-Type': 'application/json' },
    },
  },
];

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
  const measured = new Map<string, { keel: Measured; baseline: Measured }>();
  const served = endpoints(identity);
  let keel: ServerProcess | undefined;
  let baseline: ServerProcess | undefined;
  let id: string;
  try {
    keel = await startKeel(database.url, identity.keelEnv, copy.root);
    baseline = await startBaseline(BASELINE_RESOURCE, baselineEnv(database.url));
    id = await createWidget(keel, identity);
    for (const endpoint of served) {
      for (const server of [keel, baseline]) {
        const answer = await send(
          server.port,
          endpoint.request.method ?? 'GET',
          endpoint.path(id),
          endpoint.request.body?.(),
          endpoint.request.headers,
        );
        samples[`${server.name} ${endpoint.label}`] = describe(answer.status, answer.body);
      }
      options.log(`${endpoint.label}: ${options.warmupSeconds} s warm-up each, then keel and the baseline in turns`);
      const url = (server: ServerProcess): string => `http://127.0.0.1:${server.port}${endpoint.path(id)}`;
      measured.set(
        endpoint.label,
        await measureInTurns(
          new Side(baseline, url(baseline), { ...options, probeWindowMs: keelSetting('DB_PROBE_CACHE_MS') }, endpoint.request),
          new Side(keel, url(keel), { ...options, probeWindowMs: keelSetting('DB_PROBE_CACHE_MS') }, endpoint.request),
          options.durationSeconds,
        ),
      );
    }
  } finally {
    await stopAll([keel, baseline], options.shutdownGraceMs);
  }
  const authentication = await measureAuthentication(database.url, copy.root, identity, id, options, samples);
  const wire = await countOnTheWire(database, copy, identity, options);
  return {
    samples,
    authentication,
    endpoints: served.map((endpoint) => {
      const pair = measured.get(endpoint.label);
      const counted = wire.get(endpoint.label);
      if (!pair || !counted) throw new Error(`${endpoint.label} was not measured`);
      return { label: endpoint.label, ...pair, keelWire: counted.keel, baselineWire: counted.baseline };
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
): Promise<Map<string, { keel: WirePerRequest; baseline: WirePerRequest }>> {
  const proxy = await startFaultProxy(database.url);
  const counted = new Map<string, { keel: WirePerRequest; baseline: WirePerRequest }>();
  let keel: ServerProcess | undefined;
  let baseline: ServerProcess | undefined;
  try {
    keel = await startKeel(proxy.url, identity.keelEnv, copy.root);
    baseline = await startBaseline(BASELINE_RESOURCE, baselineEnv(proxy.url));
    const id = await createWidget(keel, identity);
    options.log(`counting SQL round trips through a proxy: ${WIRE_REQUESTS} requests per endpoint and server`);
    for (const endpoint of endpoints(identity)) {
      const count = async (server: ServerProcess): Promise<WirePerRequest> => {
        const one = async (): Promise<void> => {
          const answer = await send(
            server.port,
            endpoint.request.method ?? 'GET',
            endpoint.path(id),
            endpoint.request.body?.(),
            endpoint.request.headers,
          );
          if (answer.status >= 300) throw new Error(`${server.name} ${endpoint.label}: ${describe(answer.status, answer.body)}`);
        };
        for (let i = 0; i < WIRE_WARMUP_REQUESTS; i += 1) await one();
        proxy.resetWireCounts();
        for (let i = 0; i < WIRE_REQUESTS; i += 1) await one();
        return perRequest(proxy.wireCounts(), WIRE_REQUESTS);
      };
      counted.set(endpoint.label, { keel: await count(keel), baseline: await count(baseline) });
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
