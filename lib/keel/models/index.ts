// keel's models room, as the product's models use it: typed attributes, the key column and the timestamps,
// the plain-row reads and the model list's shape. Modules inside lib/keel import each other directly, never this file.
export { attribute, selectListOf, timestamps, uuidPrimaryKey, type Attribute, type RowOf } from './attributes';
export { initModels, type ModelDefinition, type ModelRegistry } from './registry';
export { selectRows } from './rows';
export { writeRows, writeStatementsOf, type Statement, type WriteStatements } from './writes';
