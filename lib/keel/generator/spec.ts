// What `npm run generate:resource` is asked for: the resource's names and its fields, validated.
import pluralize from 'pluralize';
import { Model } from 'sequelize';

export const FIELD_TYPES = ['string', 'text', 'integer', 'bigint', 'decimal', 'boolean', 'uuid', 'date', 'timestamp'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface Field {
  /** snake_case: the column (unit_price). */
  readonly name: string;
  /** camelCase: the model's attribute and the JSON name (unitPrice), as in keel's own bodies. */
  readonly property: string;
  readonly type: FieldType;
  readonly unique: boolean;
  readonly optional: boolean;
}

export interface ResourceSpec {
  /** Plural, snake_case: the table, the path and the tag (stock_items). */
  readonly plural: string;
  /** stock_item */
  readonly singular: string;
  /** stock-item: file names, kebab-case as keel's own (app/models/stock-item.ts) */
  readonly file: string;
  /** stock-items: the controller's and the test's file names, and the migration's */
  readonly pluralFile: string;
  /** stockItem: variables and functions (stockItemBody) */
  readonly variable: string;
  /** stockItems */
  readonly pluralVariable: string;
  /** stock item: descriptions, summaries and test titles */
  readonly noun: string;
  /** stock items */
  readonly nouns: string;
  /** StockItem */
  readonly className: string;
  /** StockItems (listStockItems; boxes: listBoxes) */
  readonly pluralClassName: string;
  /** WIDGET (WIDGET_OPERATIONS) */
  readonly constant: string;
  readonly fields: readonly Field[];
  readonly tenant: boolean;
}

/** Thrown for a request the generator refuses; its message is for the user. */
export class UsageError extends Error {}

// Lower-case words joined by single underscores, so that each name has one camelCase form.
const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
/**
 * The paths of keel's own routes (KEEL_ROUTES: /health, /metrics, /docs; /openapi.json is no snake_case
 * name). A resource is mounted at /<plural>: one of these would be shadowed by keel's route, or shadow it.
 * That is the only reason a name is keel's: a name the generated code cannot bind is refused for what it
 * binds (CLASS_NAMES_IN_USE, VARIABLE_NAMES_IN_SCOPE), not by a list of words; models and sequelizes are
 * refused there, errors, tests, routes or openapis are taken. test/unit/generator-spec.test.ts keeps this
 * list in step with KEEL_ROUTES.
 */
export const KEEL_ROUTE_NAMES = new Set(['health', 'metrics', 'docs']);
const RESERVED_FIELDS = new Set(['id', 'created_at', 'updated_at', 'tenant_id']);
/**
 * Names the generated files and app/models/index.ts already bind or refer to, besides the resource's
 * own. A resource's class named as one would not compile or would change what the code refers to:
 * routers makes a class Router beside express's, dates a class Date that `createdAt: Date` then means.
 * test/unit/generator-names.test.ts reads them off what the templates write, so the list keeps up.
 */
export const CLASS_NAMES_IN_USE = new Set([
  ...['COLUMNS', 'CreationOptional', 'DataTypes', 'Date', 'InferAttributes', 'InferCreationAttributes', 'MODELS', 'Model'],
  ...['ModelDefinition', 'ModelRegistry', 'ModelStatic', 'NotFoundError', 'Object', 'Partial', 'Promise', 'Readonly', 'Record'],
  ...['RouteDeps', 'Router', 'Sequelize'],
]);
/** The same for the resource's variable (const widget in a handler, widgetBody(widget)): the names in its scopes. */
export const VARIABLE_NAMES_IN_SCOPE = new Set([
  ...['handle', 'next', 'operations', 'req', 'res', 'resourceOperations', 'router', 'unitOfWork', 'z'],
]);
// What a model instance has besides Model.prototype's (and Object's) members: set by its constructor.
const INSTANCE_MEMBERS = new Set(['dataValues', 'isNewRecord', 'uniqno']);

/** An attribute of this name would shadow a model's own member (save, changed, toString, dataValues…). */
const isModelMember = (property: string): boolean => property in Model.prototype || INSTANCE_MEMBERS.has(property);

const camel = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
const pascal = (snake: string): string => camel(snake).replace(/^[a-z]/, (letter) => letter.toUpperCase());

/**
 * The singular of a plural snake_case name, from its last word (stock_items: stock_item; courses: course;
 * people: person), or undefined when the name is not a plural (widget, equipment). English has more
 * exceptions than rules, so this is pluralize's table, not ours; --singular overrides it where it is wrong.
 */
function singularOf(plural: string): string | undefined {
  const at = plural.lastIndexOf('_') + 1;
  const word = plural.slice(at);
  const singular = pluralize.singular(word);
  return pluralize.isPlural(word) && singular !== word ? plural.slice(0, at) + singular : undefined;
}

function parseField(text: string): Field {
  const [name = '', type = '', ...flags] = text.split(':');
  if (!SNAKE_CASE.test(name) || name.length > 63)
    throw new UsageError(`field "${text}": the name must match ${SNAKE_CASE.source} (snake_case, e.g. unit_price)`);
  if (RESERVED_FIELDS.has(name)) throw new UsageError(`field "${name}": every resource has it already`);
  if (isModelMember(camel(name))) throw new UsageError(`field "${name}": ${camel(name)} is a member of every model; choose another name`);
  if (!(FIELD_TYPES as readonly string[]).includes(type)) {
    throw new UsageError(`field "${name}": the type must be one of ${FIELD_TYPES.join(', ')}`);
  }
  const unknown = flags.filter((flag) => flag !== 'unique' && flag !== 'optional');
  if (unknown.length > 0 || new Set(flags).size !== flags.length) {
    throw new UsageError(`field "${name}": after the type, only :unique and :optional (each once)`);
  }
  // A unique boolean column holds at most two rows.
  if (type === 'boolean' && flags.includes('unique')) throw new UsageError(`field "${name}": a boolean cannot be unique`);
  return { name, property: camel(name), type: type as FieldType, unique: flags.includes('unique'), optional: flags.includes('optional') };
}

/** The resource from the command line's arguments (after `--`). */
export function parseArguments(args: readonly string[]): ResourceSpec {
  const tenant = args.includes('--tenant');
  const singularOption = args.filter((arg) => arg.startsWith('--singular='));
  const options = args.filter((arg) => arg.startsWith('-') && arg !== '--tenant' && !arg.startsWith('--singular='));
  if (options.length > 0) throw new UsageError(`unknown option ${options[0]}`);
  if (singularOption.length > 1) throw new UsageError('give --singular once');
  const [plural = '', ...fieldArgs] = args.filter((arg) => !arg.startsWith('-'));
  if (!SNAKE_CASE.test(plural) || plural.length > 50) {
    throw new UsageError(`"${plural}": the resource name must be plural snake_case, e.g. widgets or stock_items`);
  }
  if (KEEL_ROUTE_NAMES.has(plural)) throw new UsageError(`"${plural}": keel serves /${plural} itself; choose another name`);
  const singular = singularOption[0]?.slice('--singular='.length) ?? singularOf(plural);
  if (singular === undefined) {
    throw new UsageError(`"${plural}": the resource name must be plural (widgets, stock_items), or give its singular with --singular=`);
  }
  if (!SNAKE_CASE.test(singular) || singular.length > 50 || singular === plural) {
    throw new UsageError(`--singular=${singular}: the singular must be snake_case and differ from "${plural}"`);
  }
  if (fieldArgs.length === 0) throw new UsageError('give at least one field, e.g. name:string');
  const fields = fieldArgs.map(parseField);
  const duplicate = fields.find((field, index) => fields.findIndex((other) => other.name === field.name) !== index);
  if (duplicate) throw new UsageError(`field "${duplicate.name}" is given twice`);
  const sameProperty = fields.find((field, index) => fields.findIndex((other) => other.property === field.property) !== index);
  if (sameProperty) throw new UsageError(`two fields would both be ${sameProperty.property} in JSON: rename one`);
  const className = pascal(singular);
  const variable = camel(singular);
  for (const [name, inUse] of [
    [className, CLASS_NAMES_IN_USE],
    [variable, VARIABLE_NAMES_IN_SCOPE],
  ] as const) {
    if (inUse.has(name)) throw new UsageError(`"${plural}": ${name} is a name the generated code already uses; choose another name`);
  }
  return {
    plural,
    singular,
    file: singular.replace(/_/g, '-'),
    pluralFile: plural.replace(/_/g, '-'),
    variable,
    pluralVariable: camel(plural),
    noun: singular.replace(/_/g, ' '),
    nouns: plural.replace(/_/g, ' '),
    className,
    pluralClassName: pascal(plural),
    constant: singular.toUpperCase(),
    fields,
    tenant,
  };
}

export const HELP = `usage: npm run generate:resource -- <plural-name> <field>... [--tenant] [--singular=<name>]

Writes a resource with list (keyset pagination), get, create, change (PATCH) and delete:
  db/migrations/<stamp>-create-<name>.js   the table (id uuidv7(), created_at, updated_at), reversible
  app/models/<singular>.ts                 the model, added to MODELS in app/models/index.ts
  app/schemas/<singular>.ts                the request and response shapes (validation and OpenAPI)
  app/controllers/<name>.ts                the handlers of its operations, added to ROUTES in app/routes.ts
  app/views/<singular>.ts                  model -> JSON
  test/integration/<name>.test.ts          its tests, against the real PostgreSQL
  (file names in kebab-case: stock_items writes app/models/stock-item.ts, app/controllers/stock-items.ts)

  <plural-name>  plural snake_case: widgets, stock_items
  <field>        name:type[:unique][:optional], the name snake_case: the column (unit_price); in
                 TypeScript and JSON it is camelCase (unitPrice), as keel's own bodies are
                 types: string (varchar(255)), text, integer, bigint (JSON string), decimal (numeric(12,2),
                 JSON string), boolean, uuid, date (YYYY-MM-DD), timestamp (ISO 8601, with time zone)
  --tenant       a tenant_id column and row-level security on current_setting('app.tenant_id'):
                 each tenant sees and changes only its rows; unique fields are unique per tenant
  --singular=<name>
                 the singular, where the one made from the plural is wrong (caches: --singular=cache):
                 the model, its file and its variable are named after it (courses: course, people: person)

Nothing is written when any file exists already. Example:
  npm run generate:resource -- widgets name:string:unique size:integer note:text:optional
`;
