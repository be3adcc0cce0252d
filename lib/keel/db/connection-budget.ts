// How many connections a keel instance may open, against how many the database allows its role: the
// number that decides how far the service scales out (dynos × WEB_CONCURRENCY × DB_POOL_MAX) before
// PostgreSQL refuses a connection with 53300 too_many_connections.

/** What the server allows the role keel connects as, read from the server itself. */
export interface ServerConnectionLimits {
  readonly maxConnections: number;
  /** superuser_reserved_connections, and reserved_connections (PostgreSQL 16+, 0 before). */
  readonly reserved: number;
  readonly superuser: boolean;
  /** The role's CONNECTION LIMIT; -1: none. */
  readonly roleLimit: number;
  /** The database's CONNECTION LIMIT; -1: none. */
  readonly databaseLimit: number;
}

/** The select list that reads them, for a statement on pg_roles r of the current user (role-check.ts reads them with the role). */
export const CONNECTION_LIMITS_COLUMNS = `current_setting('max_connections')::int AS "maxConnections",
         current_setting('superuser_reserved_connections')::int
           + coalesce(nullif(current_setting('reserved_connections', true), '')::int, 0) AS reserved,
         r.rolconnlimit AS "roleLimit",
         (SELECT datconnlimit FROM pg_database WHERE datname = current_database()) AS "databaseLimit"`;

/** The connections the role may hold at once: the server's, less the reserved ones (a superuser may use those), within the role's and the database's limits. */
export function connectionsAllowed(limits: ServerConnectionLimits): number {
  const server = limits.superuser ? limits.maxConnections : limits.maxConnections - limits.reserved;
  // A superuser is exempt from the role's and the database's CONNECTION LIMIT.
  const caps = limits.superuser ? [] : [limits.roleLimit, limits.databaseLimit].filter((limit) => limit >= 0);
  return Math.max(0, Math.min(server, ...caps));
}

/** What one instance of the service may open: each worker's pool on the primary, and as many on the replicas. */
export interface InstanceConnections {
  readonly workers: number;
  readonly poolMax: number;
  readonly replicas: number;
}

export interface BudgetLine {
  readonly level: 'info' | 'warn';
  readonly message: string;
  readonly fields: Record<string, number>;
}

/**
 * The boot line that says the budget: up to N connections from this instance, M allowed, so M / N
 * instances fit; a warn line when one instance alone does not fit.
 */
export function connectionBudgetLine(instance: InstanceConnections, limits: ServerConnectionLimits): BudgetLine {
  const perInstance = instance.workers * instance.poolMax;
  const allowed = connectionsAllowed(limits);
  const instancesThatFit = Math.floor(allowed / perInstance);
  const fields = {
    perInstance,
    workers: instance.workers,
    poolMax: instance.poolMax,
    allowed,
    instancesThatFit,
    ...(instance.replicas > 0 ? { perInstanceOnReplicas: perInstance } : {}),
  };
  const opens = `this instance may open up to ${perInstance} connections to the primary (${instance.workers} workers × DB_POOL_MAX ${instance.poolMax}${instance.replicas > 0 ? `; as many again to each replica, counted apart` : ''})`;
  const allows = `the server allows this role ${allowed}`;
  if (instancesThatFit < 1) {
    return {
      level: 'warn',
      message: `connection budget exceeded: ${opens}, but ${allows}: under load some connections will be refused (53300, answered 503); lower DB_POOL_MAX or WEB_CONCURRENCY, or put PgBouncer in front (docs/operations.md#connection-budget)`,
      fields,
    };
  }
  return { level: 'info', message: `connection budget: ${opens}; ${allows}, so at most ${instancesThatFit} such instances fit`, fields };
}
