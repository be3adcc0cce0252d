import type { RequestSettingsHook } from '../../../lib/keel/http';

/**
 * The example's stand-in for a caller, on a public route: the request names its tenant and user in
 * headers, so that the unit of work's tests can set any values. A real service's settings come from
 * the verified caller (app/request-settings.ts).
 */
export const headerSettings: RequestSettingsHook = (_caller, req) => ({ tenant_id: req.get('X-Tenant-Id'), user_id: req.get('X-User-Id') });
