import { z } from 'zod';
import { CONNECT_FAILURE_CAUSES } from '../db/faults';
import { DATABASE_FAULT_CODES } from '../schemas/problems';

// The bodies of the health endpoints (lib/keel/endpoints/health-views.ts builds them). Every object is closed: an
// undocumented field breaks the contract.

const number = (description: string) => z.number().min(0).meta({ description });
const count = (description: string) => z.number().int().min(0).meta({ description });
const timestamp = (description: string) => z.iso.datetime().meta({ description });

export const HealthStatus = z
  .enum(['pass', 'warn', 'fail'])
  .meta({ id: 'HealthStatus', description: 'IETF health-check draft status: pass, warn (degraded but serving) or fail.' });

export const Liveness = z
  .strictObject({
    status: z.literal('pass').meta({ description: 'Always pass: a process that can answer is alive.' }),
    version: z.string().meta({ description: 'The package version.' }),
    uptimeSeconds: number('Process uptime, in seconds, to the millisecond.'),
    timestamp: timestamp('When the answer was made.'),
  })
  .meta({ id: 'Liveness', description: 'The process is alive. Never touches the database.' });

export const PoolStats = z
  .strictObject({
    size: count('Connections open or being opened: in use plus idle.'),
    available: count('Idle connections.'),
    using: count('Connections checked out.'),
    waiting: count('Callers queued for a connection.'),
    max: count('The pool maximum (DB_POOL_MAX).'),
    min: count('The pool minimum.'),
  })
  .meta({ id: 'PoolStats', description: 'Connection pool counters.' });

export const MigrationState = z
  .strictObject({
    applied: count('Migrations on disk recorded as applied.'),
    pending: count('Migrations on disk not applied yet: the release phase did not run, or failed.'),
    unknown: count('Applied migrations this build does not have (a newer release migrated the database).'),
    latest: z.string().nullable().meta({ description: 'The newest applied migration, or null when none is.' }),
  })
  .meta({ id: 'MigrationState', description: 'Migrations on disk compared with SequelizeMeta.' });

export const DatabaseFaultCode = z.enum(DATABASE_FAULT_CODES).meta({
  id: 'DatabaseFaultCode',
  description:
    'Why the database check failed: no answer, every connection busy, the probe query was too slow and was cancelled, ' +
    'or a misconfiguration the server refused (credentials, database name, TLS settings).',
});

export const ConnectFailureCause = z.enum(CONNECT_FAILURE_CAUSES).meta({
  id: 'ConnectFailureCause',
  description:
    'Why a connection could not be opened: refused (nothing listens), timed_out, host_not_found, authentication_failed, ' +
    'database_not_found, tls_refused, connection_lost (closed while being opened), or too_many_connections (53300).',
});

export const ReplicaHealth = z
  .strictObject({
    server: z
      .string()
      .min(1)
      .meta({ description: 'The replica as host:port (from DATABASE_REPLICA_URLS); never a user, a database name or a credential.' }),
    status: HealthStatus,
    responseTimeMs: number('How long the replica probe took, in ms.'),
    cached: z.boolean().meta({ description: 'True when the result came from the shared probe window.' }),
    pool: PoolStats,
    code: z
      .enum([...DATABASE_FAULT_CODES, 'replication_stopped', 'replication_lagging'])
      .optional()
      .meta({
        description:
          'Why the replica is not pass: unreachable (fail), replication stopped (fail), or lagging (warn); any of them takes it out of reads.',
      }),
    replication: z
      .enum(['streaming', 'stopped'])
      .optional()
      .meta({ description: 'stopped: promoted, or no WAL receiver streaming from the primary. Known when the replica answered.' }),
    replayLagMs: z
      .number()
      .min(0)
      .nullable()
      .optional()
      .meta({
        description:
          'How far the replica is behind the primary, in ms: 0 when it has replayed the primary’s current WAL position, else the time since ' +
          'the last transaction it replayed; null when unknown. Above DB_REPLICA_LAG_WARN_MS: warn.',
      }),
  })
  .meta({
    id: 'ReplicaHealth',
    description:
      'One read replica of DATABASE_REPLICA_URLS, probed on its own pool. One that fails or lags is taken out of reads (the others ' +
      'serve them, or the primary when none is left) until its probe passes again, and turns the overall status to warn.',
  });

const databaseHealth = {
  responseTimeMs: number('How long the probe took, in ms.'),
  checkedAt: timestamp('When the probe finished.'),
  cached: z.boolean().meta({ description: 'True when the result came from the shared probe (in flight or within DB_PROBE_CACHE_MS).' }),
  pool: PoolStats,
  migrations: MigrationState.optional(),
  replicas: z
    .array(ReplicaHealth)
    .optional()
    .meta({ description: 'Each read replica, in DATABASE_REPLICA_URLS order; absent without replicas.' }),
};

export const DatabaseHealthUp = z
  .strictObject({
    status: z.enum(['pass', 'warn']).meta({ description: 'pass, or warn: slow, or a replica in trouble.' }),
    ...databaseHealth,
  })
  .meta({
    id: 'DatabaseHealthUp',
    description:
      'The database answered: pass, or warn when slow or a replica is down or lagging. Names replicas by host:port only; never the ' +
      'primary’s host or port, a user, a database or a credential.',
  });

export const DatabaseHealthDown = z
  .strictObject({
    status: z.literal('fail'),
    ...databaseHealth,
    code: DatabaseFaultCode,
    detail: z.string().min(1).meta({ description: 'What the code means, safe to show.' }),
    cause: ConnectFailureCause.optional(),
  })
  .meta({ id: 'DatabaseHealthDown', description: 'The database did not answer in time: fail, with the reason.' });

const readinessDatabase = z
  .strictObject({
    status: HealthStatus,
    responseTimeMs: number('How long the probe took, in ms.'),
    cached: z.boolean().meta({ description: 'True when the result came from the shared probe.' }),
    cause: ConnectFailureCause.optional(),
  })
  .meta({ description: 'A summary of the database probe, while serving.' });

const readinessMigrations = z
  .strictObject({
    pending: count('Migrations not applied yet.'),
    latest: z.string().nullable().meta({ description: 'The newest applied migration, or null.' }),
  })
  .meta({ description: 'Pending migrations, once the database has answered.' });

const readinessIdentityProvider = z
  .strictObject({
    status: HealthStatus,
    keys: count('Signing keys at hand to verify bearer tokens with.'),
  })
  .meta({
    description:
      "The identity provider's key set, when tokens are verified against one: warn while the provider is unreachable and cached keys still verify.",
  });

export const ReadinessReady = z
  .strictObject({
    status: z.enum(['pass', 'warn']).meta({ description: 'pass or warn: route here.' }),
    phase: z.literal('serving'),
    timestamp: timestamp('When the answer was made.'),
    reason: z
      .enum(['migrations_pending', 'database_pool_exhausted', 'identity_provider_unreachable'])
      .optional()
      .meta({ description: 'What degrades the service (warn).' }),
    database: readinessDatabase.optional(),
    migrations: readinessMigrations.optional(),
    identityProvider: readinessIdentityProvider.optional(),
  })
  .meta({
    id: 'ReadinessReady',
    description: 'Serving, with the database answering (or every pooled connection busy): route traffic here.',
  });

export const ReadinessNotReady = z
  .strictObject({
    status: z.literal('fail'),
    phase: z.enum(['starting', 'serving', 'draining']).meta({ description: 'Where the process is in its life.' }),
    timestamp: timestamp('When the answer was made.'),
    reason: z
      .enum(['starting', 'draining', 'migrations_pending', 'identity_provider_unavailable', ...DATABASE_FAULT_CODES])
      .meta({ description: 'Why the service should get no traffic.' }),
    database: readinessDatabase.optional(),
    migrations: readinessMigrations.optional(),
    identityProvider: readinessIdentityProvider.optional(),
  })
  .meta({ id: 'ReadinessNotReady', description: 'Starting, draining, or the database is down: route traffic elsewhere.' });

/** The served document itself, described loosely: validators for OpenAPI 3.1 check the rest. */
export const OpenApiDocumentBody = z
  .looseObject({
    openapi: z.string().regex(/^3\.1\.[0-9]+$/),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.looseObject({}),
  })
  .meta({ id: 'OpenApiDocument', description: 'An OpenAPI 3.1 document: this one.' });
