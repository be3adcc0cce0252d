// /metrics across cluster workers. A worker answers the scrape, but Prometheus must see the whole
// process tree, or each scrape would report whichever worker the connection landed on and its
// counters would jump between workers. prom-client's AggregatorRegistry gathers every worker's
// registry over cluster IPC, in the primary; a worker asks the primary for that aggregate.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '../config/logger';

const SCRAPE_REQUEST = 'keel:metrics-scrape';
const SCRAPE_RESPONSE = 'keel:metrics-scraped';
/** Above prom-client's own 5 s bound on gathering the workers' metrics, so the primary's answer comes first. */
const SCRAPE_TIMEOUT_MS = 6_000;

interface ScrapeRequest {
  readonly type: typeof SCRAPE_REQUEST;
  readonly id: number;
}

interface ScrapeResponse {
  readonly type: typeof SCRAPE_RESPONSE;
  readonly id: number;
  readonly body?: string;
  readonly error?: string;
}

const isMessage = <T extends { type: string }>(message: unknown, type: T['type']): message is T =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;

/** In the primary: answers a worker's scrape with every worker's metrics, aggregated. */
export function serveClusterMetrics(logger: Logger): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isMessage<ScrapeRequest>(message, SCRAPE_REQUEST)) return;
    const reply = (response: Omit<ScrapeResponse, 'type' | 'id'>): void => {
      if (worker.isConnected()) worker.send({ type: SCRAPE_RESPONSE, id: message.id, ...response });
    };
    aggregator.clusterMetrics().then(
      (body) => reply({ body }),
      (error: unknown) => {
        logger.warn('gathering the workers’ metrics failed', { error });
        reply({ error: error instanceof Error ? error.message : String(error) });
      },
    );
  });
}

/**
 * In a worker: offers this worker's registry to the primary's aggregation and returns the scrape
 * /metrics serves, which asks the primary for the aggregate.
 */
export function clusterScrape(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing it installs prom-client's handler that sends this worker's metrics to the primary.
  new AggregatorRegistry();
  const pending = new Map<number, { resolve: (body: string) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (!isMessage<ScrapeResponse>(message, SCRAPE_RESPONSE)) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.body !== undefined) waiting?.resolve(message.body);
    else waiting?.reject(new Error(`the primary could not gather the workers' metrics: ${message.error ?? 'no reason given'}`));
  });
  return () =>
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
      const request: ScrapeRequest = { type: SCRAPE_REQUEST, id };
      process.send?.(request);
    });
}
