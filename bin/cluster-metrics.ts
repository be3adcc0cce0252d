// /metrics across cluster workers. A worker answers the scrape, but Prometheus must see the whole
// process tree, or each scrape would report whichever worker the connection landed on and its
// counters would jump between workers. The worker asks the primary, which gathers every serving
// worker's registry over cluster IPC and sums it with prom-client's AggregatorRegistry.aggregate,
// exemplars kept (lib/keel/http/aggregate-workers.ts).
// (prom-client's own clusterMetrics() asks every connected worker, a booting one included, and
// waits 5 s for a worker that died meanwhile; this asks only workers that listen, and stops waiting
// for one that exits.)
import cluster, { type Worker } from 'node:cluster';
import type { Registry } from 'prom-client';
import type { Logger } from '../config/logger';
import { aggregateWorkers, type WorkerMetrics } from '../lib/keel/http/aggregate-workers';
import { scrapeAs, type MetricsFormat } from '../lib/keel/http/metrics';

const SCRAPE = 'keel:metrics-scrape';
const SCRAPED = 'keel:metrics-scraped';
const COLLECT = 'keel:metrics-collect';
const COLLECTED = 'keel:metrics-collected';
/** How long the primary waits for the workers' metrics; a worker's scrape waits a little longer. */
const GATHER_TIMEOUT_MS = 3_000;
const SCRAPE_TIMEOUT_MS = GATHER_TIMEOUT_MS + 1_000;

interface Message {
  readonly type: string;
  readonly id: number;
  readonly body?: string;
  readonly error?: string;
  readonly metrics?: WorkerMetrics;
  readonly format?: MetricsFormat;
}

const isMessage = (message: unknown, type: string): message is Message =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;

interface Gathering {
  receive(worker: Worker, answer: Message): void;
  forget(worker: Worker): void;
}

/** In the primary: answers a worker's scrape with every serving worker's metrics, aggregated. */
export function serveClusterMetrics(logger: Logger): void {
  // A worker listens once its registry and its answer to COLLECT are in place (bin/www.ts).
  const serving = new Set<Worker>();
  const gatherings = new Map<number, Gathering>();
  let nextId = 0;

  const gather = (format: MetricsFormat): Promise<string> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const waiting = new Set([...serving].filter((worker) => worker.isConnected()));
      const received: WorkerMetrics[] = [];
      const settle = (outcome: () => void): void => {
        clearTimeout(timer);
        gatherings.delete(id);
        outcome();
      };
      const finishIfDone = (): void => {
        if (waiting.size === 0) settle(() => scrapeAs(aggregateWorkers(received), format).then(resolve, reject));
      };
      const timer = setTimeout(
        () => settle(() => reject(new Error(`${waiting.size} workers did not send their metrics within ${GATHER_TIMEOUT_MS} ms`))),
        GATHER_TIMEOUT_MS,
      );
      gatherings.set(id, {
        receive(worker, answer) {
          if (!waiting.delete(worker)) return;
          if (!answer.metrics)
            settle(() => reject(new Error(`a worker could not collect its metrics: ${answer.error ?? 'no reason given'}`)));
          else {
            received.push(answer.metrics);
            finishIfDone();
          }
        },
        // A worker that exits takes its counts with it: Prometheus reads that as a counter reset.
        forget(worker) {
          if (waiting.delete(worker)) finishIfDone();
        },
      });
      for (const worker of waiting) worker.send({ type: COLLECT, id });
      finishIfDone();
    });

  cluster.on('listening', (worker) => serving.add(worker));
  cluster.on('exit', (worker) => {
    serving.delete(worker);
    for (const gathering of gatherings.values()) gathering.forget(worker);
  });
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (isMessage(message, COLLECTED)) gatherings.get(message.id)?.receive(worker, message);
    if (!isMessage(message, SCRAPE)) return;
    const reply = (answer: { body: string } | { error: string }): void => {
      if (worker.isConnected()) worker.send({ type: SCRAPED, id: message.id, ...answer });
    };
    gather(message.format === 'openmetrics' ? 'openmetrics' : 'prometheus').then(
      (body) => reply({ body }),
      (error: unknown) => {
        logger.warn('gathering the workers’ metrics failed', { error });
        reply({ error: error instanceof Error ? error.message : String(error) });
      },
    );
  });
}

/**
 * In a worker: sends this worker's registry when the primary gathers, and returns the scrape
 * /metrics serves, which asks the primary for the aggregate.
 */
export function clusterScrape(registry: Registry): (format?: MetricsFormat) => Promise<string> {
  const pending = new Map<number, { resolve: (body: string) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (isMessage(message, COLLECT)) {
      const send = (answer: { metrics: WorkerMetrics } | { error: string }): void => {
        if (process.connected) process.send?.({ type: COLLECTED, id: message.id, ...answer });
      };
      registry.getMetricsAsJSON().then(
        (metrics) => send({ metrics }),
        (error: unknown) => send({ error: error instanceof Error ? error.message : String(error) }),
      );
      return;
    }
    if (!isMessage(message, SCRAPED)) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.body !== undefined) waiting?.resolve(message.body);
    else waiting?.reject(new Error(`the primary could not gather the workers' metrics: ${message.error ?? 'no reason given'}`));
  });
  return (format = 'prometheus') =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the primary did not answer a metrics scrape within ${SCRAPE_TIMEOUT_MS} ms`));
      }, SCRAPE_TIMEOUT_MS);
      pending.set(id, {
        resolve: (body) => {
          clearTimeout(timer);
          resolve(body);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      if (process.connected) process.send?.({ type: SCRAPE, id, format });
    });
}
