// An OTLP/HTTP trace receiver of the suite's own (no collector binary exists for these machines): it takes
// what keel's exporter posts to /v1/traces, decodes the JSON encoding (OTEL_EXPORTER_OTLP_PROTOCOL=http/json)
// and keeps each span with its resource's attributes. It can be told to fail (503) or to never answer.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

type AttributeValue = string | number | boolean | undefined;

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly events: readonly { name: string; attributes: Readonly<Record<string, AttributeValue>> }[];
  readonly resource: Readonly<Record<string, AttributeValue>>;
}

export interface OtlpReceiver {
  /** The base URL: OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  readonly spans: readonly ReceivedSpan[];
  /** Export requests received, whatever their encoding and answer. */
  readonly requests: readonly { contentType: string; body: Buffer }[];
  /** 'ok' answers 200, 'fail' 503, 'hang' never answers. */
  mode: 'ok' | 'fail' | 'hang';
  /** Waits until a received span matches; fails after timeoutMs naming what it waited for and what came. */
  waitForSpan(matches: (span: ReceivedSpan) => boolean, what: string, timeoutMs?: number): Promise<ReceivedSpan>;
  close(): Promise<void>;
}

interface JsonAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
}

const attributesOf = (list: readonly JsonAttribute[] | undefined): Record<string, AttributeValue> =>
  Object.fromEntries(
    (list ?? []).map(({ key, value }) => [
      key,
      value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue,
    ]),
  );

interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number };
  attributes?: JsonAttribute[];
  events?: { name: string; attributes?: JsonAttribute[] }[];
}

interface JsonRequest {
  resourceSpans?: { resource?: { attributes?: JsonAttribute[] }; scopeSpans?: { spans?: JsonSpan[] }[] }[];
}

function decode(body: Buffer): ReceivedSpan[] {
  const request = JSON.parse(body.toString('utf8')) as JsonRequest;
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        statusCode: span.status?.code ?? 0,
        attributes: attributesOf(span.attributes),
        events: (span.events ?? []).map((event) => ({ name: event.name, attributes: attributesOf(event.attributes) })),
        resource,
      })),
    );
  });
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: { contentType: string; body: Buffer }[] = [];
  const arrived = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      requests.push({ contentType, body });
      if (receiver.mode === 'hang') return;
      if (receiver.mode === 'fail') {
        res.writeHead(503).end();
        return;
      }
      if (contentType.startsWith('application/json')) spans.push(...decode(body));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      for (const listener of arrived) listener();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const receiver: OtlpReceiver = {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    mode: 'ok',
    waitForSpan(matches, what, timeoutMs = 15_000) {
      const found = spans.find(matches);
      if (found) return Promise.resolve(found);
      const deadline = performance.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const span = spans.find(matches);
          if (span) {
            done();
            resolve(span);
          }
        };
        const timer = setTimeout(
          () => {
            done();
            reject(new Error(`no span ${what} within ${timeoutMs} ms; received: ${spans.map((span) => span.name).join(', ') || 'none'}`));
          },
          Math.max(deadline - performance.now(), 0),
        );
        const done = (): void => {
          clearTimeout(timer);
          arrived.delete(check);
        };
        arrived.add(check);
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}
