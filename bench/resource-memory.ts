// The resource mode's memory run: one keel server of the generated copy under steady load for a while,
// every connection going round a widget's life (POST, GET by id, PATCH, the list, DELETE: the table
// stays as it was), with RSS and the heap after a forced GC sampled at intervals through a hook loaded
// into that process only (bench/gc-hook.ts), so that a leak on the request path shows up as a number.
import autocannon from 'autocannon';
import crypto from 'node:crypto';
import path from 'node:path';
import type { BenchIdentity } from './identity';
import { get, ROOT, startKeel, type ServerProcess } from './keel';
import { LIST_PAGE } from './resource';

export const MEMORY_SAMPLES = 12;

export interface MemorySample {
  readonly atSeconds: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly responses: number;
}

export interface MemoryResult {
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly samples: readonly MemorySample[];
  readonly responses: number;
  readonly non2xx: number;
  readonly errors: number;
  /** From the first sample after the warm-up to the last, in %. */
  readonly rssGrowthPercent: number;
  readonly heapGrowthPercent: number;
}

interface Context {
  id?: string;
}

/** A widget's life, one request after the other on each connection. */
function lifeOfAWidget(identity: BenchIdentity): autocannon.Request[] {
  const json = { ...identity.headers, 'Content-Type': 'application/json' };
  const ofId = (context: object): string => (context as Context).id ?? 'none';
  return [
    {
      method: 'POST',
      path: '/widgets',
      headers: json,
      setupRequest: (request) => ({ ...request, body: JSON.stringify({ name: `memory-${crypto.randomUUID()}`, size: 1, note: 'bench' }) }),
      onResponse: (_status, body, context) => {
        (context as Context).id = (JSON.parse(body) as { id?: string }).id;
      },
    },
    { method: 'GET', headers: identity.headers, setupRequest: (request, context) => ({ ...request, path: `/widgets/${ofId(context)}` }) },
    {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ size: 2 }),
      setupRequest: (request, context) => ({ ...request, path: `/widgets/${ofId(context)}` }),
    },
    { method: 'GET', path: `/widgets?limit=${LIST_PAGE}`, headers: identity.headers },
    {
      method: 'DELETE',
      headers: identity.headers,
      setupRequest: (request, context) => ({ ...request, path: `/widgets/${ofId(context)}` }),
    },
  ];
}

const percent = (from: number, to: number): number => ((to - from) / from) * 100;

export async function measureMemory(
  databaseUrl: string,
  root: string,
  identity: BenchIdentity,
  options: { connections: number; durationSeconds: number; shutdownGraceMs: number; log: (line: string) => void },
): Promise<MemoryResult> {
  const hookScript = path.join(ROOT, 'dist', 'bench', 'gc-hook.js');
  const warmupSeconds = options.durationSeconds / 6;
  let keel: ServerProcess | undefined;
  try {
    keel = await startKeel(databaseUrl, { ...identity.keelEnv, NODE_OPTIONS: `--expose-gc --require ${hookScript}` }, root);
    const [, gcPort] = await keel.waitForOutput(/"gcPort":(\d+)/, 5_000);
    const sample = async (atSeconds: number, responses: number): Promise<MemorySample> => {
      const usage = JSON.parse((await get(Number(gcPort), '/')).body) as NodeJS.MemoryUsage;
      return { atSeconds, rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, responses };
    };
    options.log(
      `memory: ${options.durationSeconds} s of steady load on one keel server, sampled ${MEMORY_SAMPLES} times after ${warmupSeconds} s`,
    );
    let responses = 0;
    let non2xx = 0;
    const started = performance.now();
    let load: autocannon.Instance | undefined;
    const finished = new Promise<autocannon.Result>((resolve, reject) => {
      load = autocannon(
        {
          url: `http://127.0.0.1:${keel?.port ?? 0}`,
          connections: options.connections,
          duration: options.durationSeconds,
          requests: lifeOfAWidget(identity),
        },
        (error, result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result)),
      );
    });
    load?.on('response', (_client, statusCode) => {
      responses += 1;
      if (statusCode < 200 || statusCode > 299) non2xx += 1;
    });
    const samples: MemorySample[] = [];
    const interval = (options.durationSeconds - warmupSeconds) / MEMORY_SAMPLES;
    for (let index = 0; index <= MEMORY_SAMPLES; index += 1) {
      const at = warmupSeconds + index * interval;
      // The last sample just before the load ends, so that it is taken under load like the others.
      const waitMs = Math.min(at, options.durationSeconds - 0.5) * 1000 - (performance.now() - started);
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      samples.push(await sample((performance.now() - started) / 1000, responses));
    }
    const result = await finished;
    const first = samples[0] as MemorySample;
    const last = samples.at(-1) as MemorySample;
    return {
      durationSeconds: options.durationSeconds,
      warmupSeconds,
      samples,
      responses,
      non2xx,
      errors: result.errors,
      rssGrowthPercent: percent(first.rssBytes, last.rssBytes),
      heapGrowthPercent: percent(first.heapUsedBytes, last.heapUsedBytes),
    };
  } finally {
    await keel?.stop(options.shutdownGraceMs);
  }
}
