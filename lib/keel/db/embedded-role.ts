// The embedded PostgreSQL serves keel through an ordinary role that owns the service's database,
// not through the superuser initdb makes: a superuser bypasses every row-level security policy,
// and FORCE ROW LEVEL SECURITY binds the owner only when it is not one.
import { Client, escapeIdentifier, escapeLiteral } from 'pg';

export interface ServiceRoleOptions {
  /** The superuser's URL, on any database of the server. */
  readonly adminUrl: string;
  readonly databaseName: string;
  readonly role: string;
  readonly password: string;
}

export interface ServiceRoleOutcome {
  readonly roleCreated: boolean;
  readonly databaseCreated: boolean;
  /** Objects the superuser owned that now belong to the role (a data directory an older keel made). */
  readonly transferred: number;
}

const ATTRIBUTES = 'LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION';

/**
 * One ALTER … OWNER TO statement for each object in schema public that the connected superuser
 * owns and no extension does: tables before sequences, since a table takes its owned sequences
 * with it (a sequence already moved is then a no-op).
 */
const TRANSFERS_SQL = `
  WITH public_objects AS (
    SELECT 0 AS rank, 'SCHEMA' AS kind, n.nspname::text AS name, n.nspowner AS owner, 'pg_namespace'::regclass AS catalog, n.oid
      FROM pg_namespace n WHERE n.nspname = 'public'
    UNION ALL
    SELECT CASE c.relkind WHEN 'S' THEN 2 ELSE 1 END,
           CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'TABLE' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'v' THEN 'VIEW'
                          WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'c' THEN 'TYPE' END,
           c.oid::regclass::text, c.relowner, 'pg_class'::regclass, c.oid
      FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S', 'c')
    UNION ALL
    SELECT 3, 'ROUTINE', p.oid::regprocedure::text, p.proowner, 'pg_proc'::regclass, p.oid
      FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
    UNION ALL
    SELECT 3, CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text, t.typowner, 'pg_type'::regclass, t.oid
      FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'r')
  )
  SELECT format('ALTER %s %s OWNER TO %I', kind, name, $1::text) AS statement
    FROM public_objects o
   WHERE o.owner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = o.catalog AND d.objid = o.oid AND d.deptype = 'e')
   ORDER BY rank, name`;

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const onDatabase = (url: string, databaseName: string): string => {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(databaseName)}`;
  return parsed.toString();
};

/** Creates the role, or makes it an ordinary LOGIN role with this password again; true when it was created. */
async function upsertRole(admin: Client, role: string, password: string): Promise<boolean> {
  // The statement carries the password: never into the server's log, should it fail.
  await admin.query('SET log_min_error_statement = panic');
  const found = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  const verb = found.rowCount ? 'ALTER' : 'CREATE';
  await admin.query(`${verb} ROLE ${escapeIdentifier(role)} ${ATTRIBUTES} PASSWORD ${escapeLiteral(password)}`);
  return verb === 'CREATE';
}

/** Creates the database owned by the role, or hands an existing one to it; true when it was created. */
async function ownDatabase(admin: Client, databaseName: string, role: string): Promise<boolean> {
  const found = await admin.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [
    databaseName,
  ]);
  const [database, owner] = [escapeIdentifier(databaseName), escapeIdentifier(role)];
  if (!found.rowCount) await admin.query(`CREATE DATABASE ${database} OWNER ${owner}`);
  else if (found.rows[0]?.owner !== role) await admin.query(`ALTER DATABASE ${database} OWNER TO ${owner}`);
  return !found.rowCount;
}

/** Hands schema public and what the superuser made in it to the role, in one transaction; the number moved. */
async function transferPublicObjects(admin: Client, role: string): Promise<number> {
  await admin.query('BEGIN');
  try {
    const { rows } = await admin.query<{ statement: string }>(TRANSFERS_SQL, [role]);
    for (const { statement } of rows) await admin.query(statement);
    await admin.query('COMMIT');
    return rows.length;
  } catch (error) {
    await admin.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Makes role an ordinary LOGIN role (NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE) with this
 * password and the owner of databaseName and of schema public there, with everything in it the
 * superuser owned (tables, sequences, views, functions, types). Idempotent: on a data directory an
 * older keel made (all of it the superuser's) it moves what it must, and then finds nothing to do.
 */
export async function prepareServiceRole(options: ServiceRoleOptions): Promise<ServiceRoleOutcome> {
  const { adminUrl, databaseName, role, password } = options;
  const { roleCreated, databaseCreated } = await withClient(onDatabase(adminUrl, 'postgres'), async (admin) => ({
    roleCreated: await upsertRole(admin, role, password),
    databaseCreated: await ownDatabase(admin, databaseName, role),
  }));
  const transferred = await withClient(onDatabase(adminUrl, databaseName), (admin) => transferPublicObjects(admin, role));
  return { roleCreated, databaseCreated, transferred };
}
