import { expect } from 'chai';
import client from 'prom-client';
import sinon from 'sinon';
import { aggregateWorkers, type WorkerMetrics } from '../../lib/keel/http/aggregate-workers';
import { scrapeAs } from '../../lib/keel/http/metrics';

const TRACE_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const TRACE_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

/** One worker's request-duration histogram, with exemplars, as a worker registers it. */
function workerRegistry(): { registry: client.Registry; duration: client.Histogram<'route'> } {
  const registry = new client.Registry<client.OpenMetricsContentType>();
  registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Request duration.',
    labelNames: ['route'],
    buckets: [0.1, 1],
    enableExemplars: true,
    registers: [registry],
  });
  return { registry: registry as unknown as client.Registry, duration };
}

/** A request to /widgets/{id} that took seconds, in the trace given. */
function observe(duration: client.Histogram<'route'>, seconds: number, traceId: string): void {
  // prom-client types an exemplar's labels as the metric's own; OpenMetrics lets them be any (here trace_id).
  const exemplarLabels = { trace_id: traceId } as client.LabelValues<'route'>;
  duration.observe({ labels: { route: '/widgets/{id}' }, value: seconds, exemplarLabels });
}

/** What cluster IPC delivers to the primary: the worker's metrics through JSON. */
const overIpc = async (registry: client.Registry): Promise<WorkerMetrics> =>
  JSON.parse(JSON.stringify(await registry.getMetricsAsJSON())) as WorkerMetrics;

const bucketLine = (scrape: string, le: string): string | undefined =>
  scrape.split('\n').find((line) => line.startsWith(`http_request_duration_seconds_bucket{le="${le}",route="/widgets/{id}"}`));

describe('aggregateWorkers (a cluster’s /metrics)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_700_000_000_000, toFake: ['Date'] });
  });
  afterEach(() => clock.restore());

  it('sums the workers’ series and keeps, for each bucket, the newest exemplar any worker held', async () => {
    const first = workerRegistry();
    const second = workerRegistry();
    observe(first.duration, 0.05, TRACE_A);
    clock.tick(1_000);
    observe(second.duration, 0.07, TRACE_B);
    observe(second.duration, 0.5, TRACE_A);

    const scrape = await scrapeAs(aggregateWorkers([await overIpc(first.registry), await overIpc(second.registry)]), 'openmetrics');

    expect(bucketLine(scrape, '0.1')).to.equal(
      `http_request_duration_seconds_bucket{le="0.1",route="/widgets/{id}"} 2 # {trace_id="${TRACE_B}"} 0.07 1700000001`,
    );
    expect(bucketLine(scrape, '1')).to.equal(
      `http_request_duration_seconds_bucket{le="1",route="/widgets/{id}"} 3 # {trace_id="${TRACE_A}"} 0.5 1700000001`,
    );
    expect(scrape).to.match(/^http_request_duration_seconds_count\{route="\/widgets\/\{id\}"\} 3$/m);
  });

  it('prints no exemplar in Prometheus’ own format, and none for a bucket no worker gave one', async () => {
    const only = workerRegistry();
    observe(only.duration, 0.5, TRACE_A);
    const received = [await overIpc(only.registry)];

    expect(await scrapeAs(aggregateWorkers(received), 'prometheus')).to.not.include('trace_id');
    const openMetrics = await scrapeAs(aggregateWorkers(received), 'openmetrics');
    expect(bucketLine(openMetrics, '0.1')).to.equal('http_request_duration_seconds_bucket{le="0.1",route="/widgets/{id}"} 0');
    expect(bucketLine(openMetrics, '1')).to.include(`# {trace_id="${TRACE_A}"}`);
  });
});
