import type { Request, Response } from 'express';
import type { Database, TransactionSettings } from '../db';
import { IdentityIncompleteError } from '../auth/errors';
import { requestSettingsOf } from '../auth/settings';
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
 * A unit of work that needs a setting on a route that has no caller (a public route): the route table
 * and the controller disagree, which is the service's fault, not the request's. A 500, logged with this.
 */
export class MissingRequestSettingError extends Error {
  constructor(readonly setting: keyof RequestSettings) {
    super(`a unit of work requires ${setting}, but its route is public: no caller, no settings (app/routes.ts); nothing ran`);
    this.name = 'MissingRequestSettingError';
  }
}

const asTransactionSettings = (settings: RequestSettings): TransactionSettings =>
  Object.fromEntries(Object.entries(settings).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));

/**
 * `unitOfWork(req, async () => …)` for controllers: one transaction whose settings come from the
 * verified caller through the hook (app/request-settings.ts); model calls inside use it without
 * passing it. It carries the request's signal: once the deadline has passed or the client has gone,
 * nothing commits and the running statement is cancelled. Reads that need no settings call the models
 * directly and open no transaction.
 */
export function createUnitOfWork(database: Pick<Database, 'unitOfWork'>, hook: RequestSettingsHook): UnitOfWork {
  return (req, work, options = {}) => {
    // The hook sees the request as Express typed it before validation.
    const request = req as Request;
    const res = request.res as Response;
    let settings: RequestSettings;
    try {
      settings = requestSettingsOf(request, res, hook);
    } catch (error) {
      return Promise.reject(error);
    }
    if (options.requires && !settings[options.requires]) {
      const missing = res.locals.caller ? new IdentityIncompleteError(options.requires) : new MissingRequestSettingError(options.requires);
      return Promise.reject(missing);
    }
    return database.unitOfWork(asTransactionSettings(settings), () => work(), { signal: res.locals.signal });
  };
}
