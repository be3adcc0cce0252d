// What `npm run generate:resource` is asked for: the resource's names and its fields, validated.
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

const NAME = /^[a-z][a-z0-9_]*[a-z0-9]s$/;
// Lower-case words joined by single underscores, so that each name has one camelCase form.
const FIELD_NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
// keel's own paths and words that would shadow them or SQL/JS names.
const RESERVED_NAMES = new Set(['health', 'metrics', 'openapis', 'openapi_jsons', 'sequelizes', 'models', 'routes', 'errors', 'tests']);
const RESERVED_FIELDS = new Set(['id', 'created_at', 'updated_at', 'tenant_id']);
// What a model instance has besides Model.prototype's (and Object's) members: set by its constructor.
const INSTANCE_MEMBERS = new Set(['dataValues', 'isNewRecord', 'uniqno']);

/** An attribute of this name would shadow a model's own member (save, changed, toString, dataValues…). */
const isModelMember = (property: string): boolean => property in Model.prototype || INSTANCE_MEMBERS.has(property);

const camel = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
const pascal = (snake: string): string => camel(snake).replace(/^[a-z]/, (letter) => letter.toUpperCase());

function singularOf(plural: string): string {
  if (/[^aeiou]ies$/.test(plural)) return `${plural.slice(0, -3)}y`;
  if (/(s|x|z|ch|sh)es$/.test(plural)) return plural.slice(0, -2);
  return plural.slice(0, -1);
}

function parseField(text: string): Field {
  const [name = '', type = '', ...flags] = text.split(':');
  if (!FIELD_NAME.test(name) || name.length > 63)
    throw new UsageError(`field "${text}": the name must match ${FIELD_NAME.source} (snake_case, e.g. unit_price)`);
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
  const options = args.filter((arg) => arg.startsWith('-') && arg !== '--tenant');
  if (options.length > 0) throw new UsageError(`unknown option ${options[0]}`);
  const [plural = '', ...fieldArgs] = args.filter((arg) => !arg.startsWith('-'));
  if (!NAME.test(plural) || plural.length > 50) {
    throw new UsageError(`"${plural}": the resource name must be plural snake_case, e.g. widgets or stock_items`);
  }
  if (RESERVED_NAMES.has(plural)) throw new UsageError(`"${plural}": the name is keel's own`);
  if (fieldArgs.length === 0) throw new UsageError('give at least one field, e.g. name:string');
  const fields = fieldArgs.map(parseField);
  const duplicate = fields.find((field, index) => fields.findIndex((other) => other.name === field.name) !== index);
  if (duplicate) throw new UsageError(`field "${duplicate.name}" is given twice`);
  const sameProperty = fields.find((field, index) => fields.findIndex((other) => other.property === field.property) !== index);
  if (sameProperty) throw new UsageError(`two fields would both be ${sameProperty.property} in JSON: rename one`);
  const singular = singularOf(plural);
  return {
    plural,
    singular,
    file: singular.replace(/_/g, '-'),
    pluralFile: plural.replace(/_/g, '-'),
    variable: camel(singular),
    pluralVariable: camel(plural),
    noun: singular.replace(/_/g, ' '),
    nouns: plural.replace(/_/g, ' '),
    className: pascal(singular),
    pluralClassName: pascal(plural),
    constant: singular.toUpperCase(),
    fields,
    tenant,
  };
}

export const HELP = `usage: npm run generate:resource -- <plural-name> <field>... [--tenant]

Writes a resource with list (keyset pagination), get, create, change (PATCH) and delete:
  db/migrations/<stamp>-create-<name>.js   the table (id uuidv7(), created_at, updated_at), reversible
  app/models/<singular>.ts                 the model, added to MODELS in app/models/index.ts
  app/schemas/<singular>.ts                the request and response shapes (validation and OpenAPI)
  app/controllers/<name>.ts                the operations, added to ROUTES in app/routes.ts
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

Nothing is written when any file exists already. Example:
  npm run generate:resource -- widgets name:string:unique size:integer note:text:optional
`;
