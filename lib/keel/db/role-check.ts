// Whether the role keel connects as is bound by row-level security. A superuser, or a role with
// BYPASSRLS, never is: every policy (FORCE included) is then silently ignored for keel's queries.
import { QueryTypes, type Sequelize } from 'sequelize';
import { CONNECTION_LIMITS_COLUMNS, type ServerConnectionLimits } from './connection-budget';

export interface DatabaseRole {
  readonly name: string;
  readonly superuser: boolean;
  readonly bypassRls: boolean;
  /** Tables with row-level security enabled, outside the system schemas. */
  readonly tablesUnderRls: number;
  /** Of those, the ones this role owns without FORCE ROW LEVEL SECURITY: their policies do not bind their owner. */
  readonly ownedUnforced: number;
  /** What the server allows the role at once (lib/keel/db/connection-budget.ts), read in the same statement. */
  readonly connectionLimits: ServerConnectionLimits;
}

const ROLE_SQL = `
  SELECT r.rolname AS name, r.rolsuper AS superuser, r.rolbypassrls AS "bypassRls",
         (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relrowsecurity AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%') AS "tablesUnderRls",
         (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relrowsecurity AND NOT c.relforcerowsecurity AND c.relowner = r.oid
             AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%') AS "ownedUnforced",
         ${CONNECTION_LIMITS_COLUMNS}
    FROM pg_roles r WHERE r.rolname = current_user`;

/** What row-level security depends on of a role. */
export type RoleSecurity = Omit<DatabaseRole, 'connectionLimits'>;

type RoleRow = RoleSecurity & Omit<ServerConnectionLimits, 'superuser'>;

/**
 * One statement, on the primary (a replica's URL may log in as another role): read once at boot, on one
 * connection, so that it opens none beside the probe's.
 */
export async function readDatabaseRole(sequelize: Sequelize): Promise<DatabaseRole> {
  const [row] = await sequelize.query<RoleRow>(ROLE_SQL, { type: QueryTypes.SELECT, logging: false, useMaster: true });
  if (!row) throw new Error('the connected role is missing from pg_roles');
  const { maxConnections, reserved, roleLimit, databaseLimit, ...role } = row;
  return { ...role, connectionLimits: { maxConnections, reserved, superuser: role.superuser, roleLimit, databaseLimit } };
}

/** Why the role bypasses row-level security, or undefined when it is bound by it. */
export function rlsBypassReason(role: RoleSecurity): 'it is a superuser' | 'it has the BYPASSRLS attribute' | undefined {
  if (role.superuser) return 'it is a superuser';
  if (role.bypassRls) return 'it has the BYPASSRLS attribute';
  return undefined;
}

export interface RlsVerdict {
  /** warn: keep serving and say so; refuse: log at error and stop (deployed, not declared intended). */
  readonly action: 'warn' | 'refuse';
  readonly message: string;
  readonly fields: { readonly role: string; readonly reason: string; readonly tablesUnderRls: number };
}

/**
 * What keel does about its role: nothing when the role is bound by row-level security or no table
 * uses it; otherwise a warning, or, deployed without allowBypass (DB_ALLOW_RLS_BYPASS), a refusal.
 */
export function rlsVerdict(role: RoleSecurity, options: { deployed: boolean; allowBypass: boolean }): RlsVerdict | undefined {
  const reason = rlsBypassReason(role);
  if (!reason && role.ownedUnforced > 0) return ownerVerdict(role);
  if (!reason || role.tablesUnderRls === 0) return undefined;
  const tables = `${role.tablesUnderRls} table${role.tablesUnderRls === 1 ? '' : 's'}`;
  const fields = { role: role.name, reason, tablesUnderRls: role.tablesUnderRls };
  const bypass = `the database role "${role.name}" bypasses row-level security (${reason}): the policies of ${tables} do not apply to keel's queries`;
  const remedy = 'connect as an ordinary role (NOSUPERUSER NOBYPASSRLS) that owns the tables, whose policies FORCE ROW LEVEL SECURITY';
  if (options.allowBypass) return { action: 'warn', message: `${bypass}; DB_ALLOW_RLS_BYPASS=true says this is intended`, fields };
  if (options.deployed) {
    return {
      action: 'refuse',
      message: `refusing to serve: ${bypass}; ${remedy}, or set DB_ALLOW_RLS_BYPASS=true if this is intended`,
      fields,
    };
  }
  return { action: 'warn', message: `${bypass}; ${remedy} (the embedded database does: leave DATABASE_URL unset)`, fields };
}

/**
 * An ordinary role that owns tables whose row-level security is enabled but not forced: their policies
 * do not apply to it (PostgreSQL exempts a table's owner unless FORCE says otherwise). A warning, not a
 * refusal: the other tables' policies hold, and a table may be meant for the owner alone.
 */
function ownerVerdict(role: RoleSecurity): RlsVerdict {
  const tables = `${role.ownedUnforced} table${role.ownedUnforced === 1 ? '' : 's'}`;
  return {
    action: 'warn',
    message:
      `the database role "${role.name}" owns ${tables} whose row-level security is not forced: their policies do not apply to keel's ` +
      'queries; ALTER TABLE … FORCE ROW LEVEL SECURITY (as generated tables do)',
    fields: { role: role.name, reason: 'it owns tables whose row-level security is not forced', tablesUnderRls: role.ownedUnforced },
  };
}
