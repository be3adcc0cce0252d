// keel's models room, as the product's models use it: the key column, the plain-row reads and the model list's shape.
// Modules inside lib/keel import each other directly, never this file.
export { uuidPrimaryKey } from './attributes';
export { initModels, type ModelDefinition, type ModelRegistry } from './registry';
export { selectRows } from './rows';
