// At boot keel learns whether its database role is bound by row-level security, as soon as the
// database first answers: the service boots while the database is down, so that may be much later.
import { isDeployed } from '../config/deployed';
import type { Config } from '../config/env';
import type { Logger } from '../config/logger';
import type { Database } from '../lib/keel/db';
import { readDatabaseRole, rlsVerdict } from '../lib/keel/db/role-check';

/**
 * Reads the role once a probe of the primary gets an answer (now, if one already has), then acts
 * on rlsVerdict: a warn line, or, deployed, an error line and exit(1). A read that fails is tried
 * again at the next answer.
 */
export function checkDatabaseRoleWhenReachable(database: Pick<Database, 'sequelize' | 'probe'>, config: Config, logger: Logger): void {
  let busyOrDone = false;
  const check = async (): Promise<void> => {
    if (busyOrDone) return;
    busyOrDone = true;
    await readDatabaseRole(database.sequelize).then(
      (role) => {
        stopListening();
        // Not "bypassRls": the logger redacts any field whose name holds "pass".
        const { name, superuser, bypassRls: exemptFromRls, tablesUnderRls, ownedUnforced } = role;
        logger.debug('database role checked', { role: name, superuser, exemptFromRls, tablesUnderRls, ownedUnforced });
        const verdict = rlsVerdict(role, { deployed: isDeployed(config.env), allowBypass: config.database.allowRlsBypass });
        if (verdict?.action === 'refuse') {
          logger.error(verdict.message, verdict.fields);
          process.exit(1);
        } else if (verdict) logger.warn(verdict.message, verdict.fields);
      },
      (error: unknown) => {
        busyOrDone = false;
        logger.warn('could not read the database role to check row-level security; trying again when the database next answers', {
          error,
        });
      },
    );
  };
  const stopListening = database.probe.onAnswer(check);
  const latest = database.probe.latest();
  if (latest && latest.status !== 'fail') void check();
}
