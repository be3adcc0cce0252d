import { MODELS, type ModelDefinition } from '../../../app/models';
import { ROUTES, type RouteEntry } from '../../../app/routes';
import { WIDGET_OPERATIONS, widgetsController } from './controllers/widgets';
import { Part } from './models/part';
import { Widget } from './models/widget';

// A service built on keel, as its author would add a resource: one route entry and its models
// (app/routes.ts and app/models/index.ts in their project; here beside keel's own).

// A resource of this checkout at the same path (npm run generate:resource -- widgets) gives way to the example.
export const TEST_ROUTES: readonly RouteEntry[] = [
  ...ROUTES.filter((entry) => entry.path !== '/widgets'),
  { path: '/widgets', operations: WIDGET_OPERATIONS, router: widgetsController },
];

export const EXAMPLE_MODELS: readonly ModelDefinition[] = [...MODELS, Widget, Part];
