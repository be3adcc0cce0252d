import type { Request } from 'express';
import { z } from 'zod';
import type { Caller } from '../auth/caller';

/**
 * What a request's unit of work tells PostgreSQL: each setting is visible to SQL, and to row-level
 * security policies, as current_setting('app.<name>', true) for that transaction only. A caller whose
 * identity does not fit this shape (a tenant that is not a UUID, as the policies cast it) is answered
 * 403 invalid_identity before any SQL is sent.
 */
export const RequestSettings = z.object({
  tenant_id: z.guid().optional(),
  user_id: z.string().min(1).max(255).optional(),
});
export type RequestSettings = z.output<typeof RequestSettings>;

/** The settings before they are checked against RequestSettings: whatever the caller's claims hold. */
export type UncheckedSettings = { readonly [Name in keyof RequestSettings]?: unknown };

/** The product's hook (app/request-settings.ts): the verified caller, or none on a public route, to settings. */
export type RequestSettingsHook = (caller: Caller | undefined, req: Request) => UncheckedSettings;
