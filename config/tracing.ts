import { makeValidator, str } from 'envalid';
import { integerBetween } from './validators';

/**
 * Traces (OpenTelemetry): the standard OTEL_* variables keel reads, their rules, and what they make of the
 * configuration. Off unless an OTLP endpoint is set. keel's one difference from the specification's
 * defaults: parent-based sampling of 10% of new traces (the specification samples every one), as Spring
 * Boot does. The spans themselves are made in lib/keel/tracing; the reasons are in docs/operations.md#traces.
 */

export const SAMPLERS = [
  'parentbased_traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'traceidratio',
  'always_on',
  'always_off',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** http(s) and no credentials in the URL: they would end up in logs and errors (a collector's token goes in OTEL_EXPORTER_OTLP_HEADERS). */
const otlpUrl = makeValidator((input) => {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new Error('must be an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be an http:// or https:// URL');
  if (url.username !== '' || url.password !== '') throw new Error('must not carry credentials (use OTEL_EXPORTER_OTLP_HEADERS)');
  return input;
});

const ratio = makeValidator((input) => {
  const value = Number(input);
  if (input.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new Error('must be a number between 0 and 1');
  return value;
});

export const tracingSpec = {
  OTEL_SDK_DISABLED: str({
    choices: ['true', 'false'] as const,
    default: 'false',
    desc: 'true: no traces, whatever else is set (the OpenTelemetry modules are not even loaded)',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl({
    default: undefined,
    desc: 'the OTLP/HTTP collector base URL (traces go to <url>/v1/traces); unset (and no traces endpoint): tracing is off',
  }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl({
    default: undefined,
    desc: 'the full URL traces are sent to, used as it is; overrides OTEL_EXPORTER_OTLP_ENDPOINT for traces',
  }),
  OTEL_EXPORTER_OTLP_PROTOCOL: str({
    choices: OTLP_PROTOCOLS,
    default: 'http/protobuf',
    desc: 'http/protobuf or http/json (grpc is not supported)',
  }),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: str({
    choices: OTLP_PROTOCOLS,
    default: undefined,
    desc: 'the protocol for traces; overrides OTEL_EXPORTER_OTLP_PROTOCOL',
  }),
  OTEL_TRACES_EXPORTER: str({ choices: ['otlp', 'none'] as const, default: 'otlp', desc: 'otlp, or none: tracing off' }),
  OTEL_SERVICE_NAME: str({ default: undefined, desc: 'service.name of every span; the package name by default' }),
  OTEL_TRACES_SAMPLER: str({
    choices: SAMPLERS,
    default: 'parentbased_traceidratio',
    desc: 'which traces are recorded; parentbased_traceidratio by default (a caller that sampled decides, else the ratio)',
  }),
  OTEL_TRACES_SAMPLER_ARG: ratio({
    default: 0.1,
    desc: 'the ratio of the traceidratio samplers, between 0 and 1: 0.1 by default (keel, as Spring Boot; the specification says 1)',
  }),
  OTEL_BSP_MAX_QUEUE_SIZE: integerBetween(
    1,
    65_536,
  )({ default: 2048, desc: 'spans waiting for export; beyond it they are dropped and counted' }),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: integerBetween(1, 65_536)({ default: 512, desc: 'spans per export request (at most the queue size)' }),
  OTEL_BSP_SCHEDULE_DELAY: integerBetween(1, 60_000)({ default: 5_000, desc: 'milliseconds between two exports' }),
  OTEL_BSP_EXPORT_TIMEOUT: integerBetween(100, 60_000)({ default: 10_000, desc: 'milliseconds an export may take before it is given up' }),
};

interface TracingVariables {
  readonly OTEL_SDK_DISABLED: 'true' | 'false';
  readonly OTEL_EXPORTER_OTLP_ENDPOINT: string | undefined;
  readonly OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: string | undefined;
  readonly OTEL_EXPORTER_OTLP_PROTOCOL: OtlpProtocol;
  readonly OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: OtlpProtocol | undefined;
  readonly OTEL_TRACES_EXPORTER: 'otlp' | 'none';
  readonly OTEL_SERVICE_NAME: string | undefined;
  readonly OTEL_TRACES_SAMPLER: SamplerName;
  readonly OTEL_TRACES_SAMPLER_ARG: number;
  readonly OTEL_BSP_MAX_QUEUE_SIZE: number;
  readonly OTEL_BSP_MAX_EXPORT_BATCH_SIZE: number;
  readonly OTEL_BSP_SCHEDULE_DELAY: number;
  readonly OTEL_BSP_EXPORT_TIMEOUT: number;
}

export interface TracingConfig {
  /** An endpoint is set, and neither OTEL_SDK_DISABLED nor OTEL_TRACES_EXPORTER=none says otherwise. */
  readonly enabled: boolean;
  readonly serviceName: string;
  readonly serviceVersion: string;
  /** Where spans are sent (…/v1/traces); undefined when tracing is off. */
  readonly url: string | undefined;
  readonly protocol: OtlpProtocol;
  readonly sampler: SamplerName;
  readonly ratio: number;
  readonly queue: {
    readonly maxSize: number;
    readonly maxBatchSize: number;
    readonly delayMs: number;
    readonly exportTimeoutMs: number;
  };
}

/** The traces URL as the specification derives it: the signal's own URL as it is, else the base URL + v1/traces. */
function tracesUrl(clean: TracingVariables): string | undefined {
  if (clean.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return clean.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = clean.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!base) return undefined;
  return `${base.endsWith('/') ? base : `${base}/`}v1/traces`;
}

export function tracingConfig(clean: TracingVariables, packageInfo: { name: string; version: string }): TracingConfig {
  const url = tracesUrl(clean);
  const enabled = url !== undefined && clean.OTEL_SDK_DISABLED === 'false' && clean.OTEL_TRACES_EXPORTER === 'otlp';
  return {
    enabled,
    serviceName: clean.OTEL_SERVICE_NAME ?? packageInfo.name,
    serviceVersion: packageInfo.version,
    url: enabled ? url : undefined,
    protocol: clean.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? clean.OTEL_EXPORTER_OTLP_PROTOCOL,
    sampler: clean.OTEL_TRACES_SAMPLER,
    ratio: clean.OTEL_TRACES_SAMPLER_ARG,
    queue: {
      maxSize: clean.OTEL_BSP_MAX_QUEUE_SIZE,
      maxBatchSize: Math.min(clean.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, clean.OTEL_BSP_MAX_QUEUE_SIZE),
      delayMs: clean.OTEL_BSP_SCHEDULE_DELAY,
      exportTimeoutMs: clean.OTEL_BSP_EXPORT_TIMEOUT,
    },
  };
}
