import type { Request, Response } from 'express';
import { RequestSettings, type RequestSettingsHook } from '../http/request-settings';
import { InvalidIdentityError } from './errors';

/**
 * The request's settings for its unit of work: the hook's answer for its caller, checked against
 * RequestSettings once per request and kept on res.locals. Throws InvalidIdentityError (403) for a
 * caller whose identity does not fit.
 */
export function requestSettingsOf(req: Request, res: Response, hook: RequestSettingsHook): RequestSettings {
  const known = res.locals.settings;
  if (known) return known;
  const checked = RequestSettings.safeParse(hook(res.locals.caller, req));
  if (!checked.success) throw new InvalidIdentityError();
  res.locals.settings = checked.data;
  return checked.data;
}
