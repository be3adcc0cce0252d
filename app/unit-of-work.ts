import type { Request } from 'express';
import type { Database, TransactionSettings } from '../db';
import type { RequestSettings, RequestSettingsHook } from './request-settings';

/** Any request, whatever its operation's schemas made of its params, query and body. */
type AnyRequest = Request<object, unknown, unknown, object>;

/** What a unit of work cannot run without: e.g. the tenant_id that a table's row-level security writes. */
export interface UnitOfWorkOptions {
  readonly requires?: keyof RequestSettings;
}

/** Runs work in one transaction carrying the request's settings; see createUnitOfWork. */
export type UnitOfWork = <T>(req: AnyRequest, work: () => Promise<T>, options?: UnitOfWorkOptions) => Promise<T>;

/**
 * A unit of work that needs a setting the hook did not give: the service is misconfigured (its
 * authentication does not reach app/request-settings.ts yet), not the request. A 500, logged with this.
 */
export class MissingRequestSettingError extends Error {
  constructor(readonly setting: keyof RequestSettings) {
    super(`the request settings hook (app/request-settings.ts) gave no ${setting}, which this unit of work requires; nothing ran`);
    this.name = 'MissingRequestSettingError';
  }
}

const asTransactionSettings = (settings: RequestSettings): TransactionSettings =>
  Object.fromEntries(Object.entries(settings).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));

/**
 * `unitOfWork(req, async () => …)` for controllers: one transaction whose settings come from the
 * hook (app/request-settings.ts); model calls inside use it without passing it. It carries the
 * request's signal: once the deadline has passed or the client has gone, nothing commits and the
 * running statement is cancelled. Reads that need no settings call the models directly and open no
 * transaction.
 */
export function createUnitOfWork(database: Pick<Database, 'unitOfWork'>, settings: RequestSettingsHook): UnitOfWork {
  // The hook sees the request as Express typed it before validation.
  return (req, work, options = {}) => {
    const context = asTransactionSettings(settings(req as Request));
    if (options.requires && !context[options.requires]) return Promise.reject(new MissingRequestSettingError(options.requires));
    return database.unitOfWork(context, () => work(), { signal: req.res?.locals.signal });
  };
}
