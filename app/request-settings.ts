import type { RequestSettingsHook } from '../lib/keel/http';

/**
 * The one place that turns the caller, verified from its bearer token (lib/keel/auth), into the settings
 * of its unit of work (RequestSettings, lib/keel/http/request-settings.ts): row-level security reads them
 * as current_setting('app.tenant_id', true) and current_setting('app.user_id', true). Which claims give
 * the user and the tenant is configuration (AUTH_USER_CLAIM, AUTH_TENANT_CLAIM). A public route has no
 * caller, and its unit of work gets no settings.
 */
export const requestSettings: RequestSettingsHook = (caller) => ({ tenant_id: caller?.tenant, user_id: caller?.user });
