import type { ModelDefinition } from '../../lib/keel/models';

/**
 * The product's models, initialised once by bin/www (initModels). keel ships none: add yours here
 * (npm run generate:resource writes one; docs/data.md#adding-a-resource).
 */
export const MODELS: readonly ModelDefinition[] = [
  // generate:resource adds models above this line
];
