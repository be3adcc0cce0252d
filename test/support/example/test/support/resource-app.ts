// Written by hand, not by npm run generate:example: what the example's generated tests import as
// '../support/resource-app', as a project's import keel's test/support/resource-app.ts. It serves the
// example's own routes, models and migrations (test/support/example-app.ts), not this checkout's.
import { EXAMPLE_SERVICE } from '../../../example-app';
import { startResourceApp as startService, type ResourceApp, type ResourceAppOptions } from '../../../resource-app';

export type { ResourceApp };

export const startResourceApp = (options: Omit<ResourceAppOptions, 'service'> = {}): Promise<ResourceApp> =>
  startService({ ...options, service: EXAMPLE_SERVICE });
