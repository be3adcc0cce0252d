import type { RequestSettingsHook } from '../../../app/request-settings';

/**
 * The example's stand-in for authentication: the caller names its tenant and user in headers. A
 * real service returns what its authentication established instead.
 */
export const headerSettings: RequestSettingsHook = (req) => ({ tenant_id: req.get('X-Tenant-Id'), user_id: req.get('X-User-Id') });
