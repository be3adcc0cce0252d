import type { ModelDefinition } from '../../../lib/keel/models';
import { KEEL_ROUTES } from '../../../lib/keel/endpoints';
import type { RouteEntry } from '../../../lib/keel/http';
import { WIDGET_OPERATIONS, widgetsController } from './controllers/widgets';
import { Part } from './models/part';
import { Widget } from './models/widget';

// A service built on keel, as its author would add a resource: one route entry and its models
// (app/routes.ts and app/models/index.ts in their project). Built on keel's own entries only, never on
// this checkout's ROUTES and MODELS: a resource generated here (even one named widgets) stays out of it.
export const TEST_ROUTES: readonly RouteEntry[] = [
  ...KEEL_ROUTES,
  { path: '/widgets', operations: WIDGET_OPERATIONS, access: 'public', router: widgetsController },
];

export const EXAMPLE_MODELS: readonly ModelDefinition[] = [Widget, Part];
