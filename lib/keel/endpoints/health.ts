import { Router, type NextFunction, type Response } from 'express';
import type { Lifecycle } from '../http/lifecycle';
import {
  HEALTH_JSON,
  headerRef,
  noStoreHeaders,
  PROBLEM_JSON,
  RETRY_AFTER_HEADER,
  schemaRef,
  SERVICE_UNAVAILABLE_EXAMPLES,
} from '../http/openapi';
import { handle, operation } from '../http/operation';
import { RETRY_AFTER_SECONDS } from '../schemas/problems';
import { DatabaseHealthDown, DatabaseHealthUp, Liveness, ReadinessNotReady, ReadinessReady } from './health-schemas';
import { databaseHealthBody, HEALTH_CONTENT_TYPE, livenessBody, readinessBody, type KeySetHealth } from './health-views';
import { DATABASE_DOWN_EXAMPLES, DATABASE_UP_EXAMPLES, LIVENESS_EXAMPLES, NOT_READY_EXAMPLES, READY_EXAMPLES } from './health-examples';
import { databaseState, type DatabaseState, type HealthDatabase } from '../http/health-state';

export interface HealthDeps {
  readonly version: string;
  readonly database: HealthDatabase;
  readonly lifecycle: Pick<Lifecycle, 'phase'>;
  /** What pending migrations make readiness (MIGRATIONS_PENDING_READINESS). */
  readonly pendingMigrations: 'warn' | 'fail';
  /** What an exhausted pool makes readiness (POOL_EXHAUSTED_READINESS). */
  readonly poolExhausted: 'warn' | 'fail';
  /** The identity provider's key set, when tokens are verified against one. */
  readonly identityProvider?: { status(): KeySetHealth } | undefined;
}

const PUBLIC = { tags: ['health'], security: [] } as const;

/** A failed request on its way (the request deadline, the database failing after the probe): a problem body. */
const problem503 = { [PROBLEM_JSON]: { schema: schemaRef('ServiceUnavailableProblem'), examples: SERVICE_UNAVAILABLE_EXAMPLES } };

export const getLiveness = operation({
  ...PUBLIC,
  method: 'get',
  path: '/',
  operationId: 'getLiveness',
  summary: 'Is the process alive?',
  description: 'For restart-on-failure checks only. Never touches the database; stays 200 while draining.',
  responses: {
    200: {
      description: 'Alive.',
      headers: noStoreHeaders(),
      content: { [HEALTH_JSON]: { schema: Liveness, examples: LIVENESS_EXAMPLES } },
    },
  },
});

export const getDatabaseHealth = operation({
  ...PUBLIC,
  method: 'get',
  path: '/db',
  operationId: 'getDatabaseHealth',
  summary: 'Can the service reach its database?',
  description:
    'Reachability, probe time, pool counters and migrations, for dashboards and alerts. Concurrent requests share one probe, ' +
    'and a finished result is reused for DB_PROBE_CACHE_MS (cached: true).',
  responses: {
    200: {
      description: 'The database answers (pass), or answers slowly or a replica is down (warn).',
      headers: noStoreHeaders(),
      content: { [HEALTH_JSON]: { schema: DatabaseHealthUp, examples: DATABASE_UP_EXAMPLES } },
    },
    503: {
      description:
        'The database did not answer within DB_PROBE_TIMEOUT_MS (a health body with the reason in code), or the request failed ' +
        'on its way (a problem body: the request deadline passed, or the database failed after the probe).',
      // Only the problem body (request deadline) sets it: the health body of a database outage does not.
      headers: noStoreHeaders({ 'Retry-After': { ...RETRY_AFTER_HEADER, required: false } }),
      content: { [HEALTH_JSON]: { schema: DatabaseHealthDown, examples: DATABASE_DOWN_EXAMPLES }, ...problem503 },
    },
  },
});

export const getReadiness = operation({
  ...PUBLIC,
  method: 'get',
  path: '/ready',
  operationId: 'getReadiness',
  summary: 'Should a load balancer route traffic here?',
  description:
    'Point the load balancer here. Fails while starting, as soon as shutdown begins, while the database is unreachable, ' +
    'and while no key of the identity provider is at hand (warns while it is unreachable and cached keys still verify); ' +
    'recovers by itself. Pending migrations make it warn (or fail, with MIGRATIONS_PENDING_READINESS=fail); so does a pool ' +
    'with every connection busy (or fail, with POOL_EXHAUSTED_READINESS=fail).',
  responses: {
    200: {
      description: 'Serving with the database answering: route traffic here.',
      headers: noStoreHeaders(),
      content: { [HEALTH_JSON]: { schema: ReadinessReady, examples: READY_EXAMPLES } },
    },
    503: {
      description:
        'Not ready: starting, draining, or the database is unreachable (a health body), or the request failed on its way (a problem body).',
      headers: noStoreHeaders({ 'Retry-After': headerRef('RetryAfter') }),
      content: { [HEALTH_JSON]: { schema: ReadinessNotReady, examples: NOT_READY_EXAMPLES }, ...problem503 },
    },
  },
});

/**
 * Writes a health body without res.send: an ETag (a hash of every body) is useless on a
 * no-store response that load balancers fetch every few seconds. Node sets Content-Length and
 * drops the body for HEAD.
 */
function sendHealth(res: Response, status: number, body: object): void {
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', HEALTH_CONTENT_TYPE);
  res.end(JSON.stringify(body));
}

/** Calls answer with the value, at once when it is at hand; a failure on the way goes to the error middleware. */
function whenKnown<T>(value: T | Promise<T>, answer: (known: T) => void, next: NextFunction): void {
  if (value instanceof Promise) value.then(answer).catch(next);
  else answer(value);
}

/**
 * /health is liveness and never touches the database; /health/db reports the database through
 * the shared probe; /health/ready says whether a load balancer should route traffic here.
 */
export function healthController(deps: HealthDeps): Router {
  const router = Router();
  handle(router, getLiveness, (_req, res) => {
    sendHealth(res, 200, livenessBody({ version: deps.version, uptimeSeconds: process.uptime(), now: new Date() }));
  });

  // Answered at once while the probe's result is fresh (see databaseState): no async wrapper on a ping.
  handle(router, getDatabaseHealth, (_req, res, next) => {
    whenKnown(
      databaseState(deps.database),
      ({ report, replicas, migrations }) => {
        if (report.status === 'fail') res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
        sendHealth(res, report.status === 'fail' ? 503 : 200, databaseHealthBody(report, migrations, replicas));
      },
      next,
    );
  });

  handle(router, getReadiness, (_req, res, next) => {
    const answer = (state: DatabaseState | undefined): void => {
      const body = readinessBody({
        phase: deps.lifecycle.phase,
        now: new Date(),
        pendingMigrations: deps.pendingMigrations,
        poolExhausted: deps.poolExhausted,
        database: state?.report,
        replicas: state?.replicas,
        migrations: state?.migrations,
        identityProvider: deps.identityProvider?.status(),
      });
      if (body.status === 'fail') res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      sendHealth(res, body.status === 'fail' ? 503 : 200, body);
    };
    // Starting or draining: not ready, whatever the database says, and no probe is spent on it.
    if (deps.lifecycle.phase === 'serving') whenKnown(databaseState(deps.database), answer, next);
    else answer(undefined);
  });

  return router;
}
