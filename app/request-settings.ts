import type { Request } from 'express';

/**
 * What a request's unit of work tells PostgreSQL: each setting is visible to SQL, and to row-level
 * security policies, as current_setting('app.<name>', true) for that transaction only.
 */
export interface RequestSettings {
  readonly tenant_id?: string;
  readonly user_id?: string;
}

export type RequestSettingsHook = (req: Request) => RequestSettings;

/**
 * The one place that turns a request into its settings. keel ships no authentication: once yours
 * has identified the caller (say it sets req.res.locals.user), return their ids here, e.g.
 * `({ tenant_id: user.tenantId, user_id: user.id })`. Returning nothing sets nothing.
 */
export const requestSettings: RequestSettingsHook = () => ({});
