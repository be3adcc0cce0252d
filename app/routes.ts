import { KEEL_ROUTES } from '../lib/keel/endpoints';
import type { RouteEntry } from '../lib/keel/http';

/** Every route of the service, mounted in this order by createApp. Add your resources here. */
export const ROUTES: readonly RouteEntry[] = [
  ...KEEL_ROUTES,
  // generate:resource adds routes above this line
];
