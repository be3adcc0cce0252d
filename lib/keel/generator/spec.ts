// What `npm run generate:resource` is asked for: the resource's names and its fields, validated.
import pluralize from 'pluralize';
import { Model } from 'sequelize';

export const FIELD_TYPES = [
  'string',
  'text',
  'integer',
  'bigint',
  'decimal',
  'boolean',
  'uuid',
  'date',
  'timestamp',
  'references',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** What deleting a parent does to the rows that refer to it: refuse (the default), delete them, or empty their reference. */
export type OnDelete = 'RESTRICT' | 'CASCADE' | 'SET NULL';

export interface Field {
  /** snake_case: the column (unit_price; customer_id for customer:references). */
  readonly name: string;
  /** camelCase: the model's attribute and the JSON name (unitPrice, customerId), as in keel's own bodies. */
  readonly property: string;
  readonly type: FieldType;
  readonly unique: boolean;
  readonly optional: boolean;
  /** A references field's parent, and the association that names it. */
  readonly reference?: Reference;
}

export interface Reference {
  /** The association, as the field was named: the model includes the parent under it (customer, buyer). */
  readonly as: string;
  readonly parent: Parent;
  readonly onDelete: OnDelete;
}

/** The names a resource is known by, from its plural and its singular (stock_items, stock_item). */
export interface ResourceNames {
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
}

export interface ResourceSpec extends ResourceNames {
  readonly fields: readonly Field[];
  readonly tenant: boolean;
}

/** A resource the project has already, as a references field finds it (project.ts reads it off its files). */
export interface Parent extends ResourceNames {
  readonly tenant: boolean;
  /** The fields a new one must be given (NOT NULL, no default): the child's tests create parents with them. */
  readonly needs: readonly ParentField[];
}

export interface ParentField {
  readonly property: string;
  readonly type: FieldType;
  /** The parent's own parent, for a references field: the child's tests create it first. */
  readonly parent?: Parent;
}

/** The project's resources, by singular (customer:references) or plural (buyer:references:customers). */
export interface Resources {
  /** The resource, or a UsageError saying which of its files is missing. */
  find(name: { readonly singular: string } | { readonly plural: string }): Parent;
}

/** For parsing without a project: every reference is refused. */
const NO_RESOURCES: Resources = {
  find() {
    throw new UsageError('a references field needs the project its parent is in');
  },
};

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
  ...['ATTRIBUTES', 'COLUMNS', 'CreationAttributes', 'DataTypes', 'Date', 'FIELDS', 'MODELS', 'Model', 'ModelDefinition'],
  ...['ModelRegistry', 'ModelStatic', 'NotFoundError', 'Object', 'Optional', 'Partial', 'Promise', 'Readonly', 'Record'],
  ...['RouteDeps', 'Router', 'RowOf', 'Sequelize', 'WRITES'],
]);
/** The same for the resource's variable (const widget in a handler, widgetBody(widget)): the names in its scopes. */
export const VARIABLE_NAMES_IN_SCOPE = new Set([
  ...['answerFrom', 'handle', 'nestedListOperation', 'next', 'operations', 'req', 'res', 'resourceOperations', 'router', 'unitOfWork', 'z'],
]);
// What a model instance has besides Model.prototype's (and Object's) members: set by its constructor.
const INSTANCE_MEMBERS = new Set(['dataValues', 'isNewRecord', 'uniqno']);

/** An attribute of this name would shadow a model's own member (save, changed, toString, dataValues…). */
const isModelMember = (property: string): boolean => property in Model.prototype || INSTANCE_MEMBERS.has(property);

export const camel = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
const pascal = (snake: string): string => camel(snake).replace(/^[a-z]/, (letter) => letter.toUpperCase());

/** Every name of a resource, from its plural and its singular. */
export function resourceNames(plural: string, singular: string): ResourceNames {
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
  };
}

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

/** What the fields are parsed in: the resource they belong to, and the project their parents are in. */
interface FieldContext {
  readonly plural: string;
  readonly singular: string;
  readonly tenant: boolean;
  readonly resources: Resources;
}

const FLAGS = ['unique', 'optional'];
const ON_DELETE_FLAGS: Readonly<Record<string, OnDelete>> = { cascade: 'CASCADE', 'set-null': 'SET NULL' };
const isAction = (flag: string): boolean => Object.hasOwn(ON_DELETE_FLAGS, flag);

function parseField(text: string, context: FieldContext): Field {
  const [name = '', type = '', ...rest] = text.split(':');
  if (!SNAKE_CASE.test(name) || name.length > 63)
    throw new UsageError(`field "${text}": the name must match ${SNAKE_CASE.source} (snake_case, e.g. unit_price)`);
  if (RESERVED_FIELDS.has(name)) throw new UsageError(`field "${name}": every resource has it already`);
  if (isModelMember(camel(name))) throw new UsageError(`field "${name}": ${camel(name)} is a member of every model; choose another name`);
  if (!(FIELD_TYPES as readonly string[]).includes(type)) {
    throw new UsageError(`field "${name}": the type must be one of ${FIELD_TYPES.join(', ')}`);
  }
  if (type === 'references') return parseReference(name, rest, context);
  const flags = rest;
  const unknown = flags.filter((flag) => !FLAGS.includes(flag));
  if (unknown.some(isAction)) throw new UsageError(`field "${name}": only a references field takes :${unknown[0]}`);
  if (unknown.length > 0 || new Set(flags).size !== flags.length) {
    throw new UsageError(`field "${name}": after the type, only :unique and :optional (each once)`);
  }
  // A unique boolean column holds at most two rows.
  if (type === 'boolean' && flags.includes('unique')) throw new UsageError(`field "${name}": a boolean cannot be unique`);
  return { name, property: camel(name), type: type as FieldType, unique: flags.includes('unique'), optional: flags.includes('optional') };
}

/**
 * customer:references[:<parent's plural>][:unique][:optional][:cascade|:set-null]: a column customer_id that
 * refers to a customer. The parent is the resource whose singular is the field's name, unless named.
 */
function parseReference(name: string, rest: readonly string[], { plural, singular, tenant, resources }: FieldContext): Field {
  if (name.endsWith('_id')) {
    throw new UsageError(`field "${name}": name a reference after what it refers to; customer:references writes customer_id`);
  }
  const column = `${name}_id`;
  if (column.length > 63) throw new UsageError(`field "${name}": its column ${column} is longer than PostgreSQL's 63 characters`);
  if (RESERVED_FIELDS.has(column)) throw new UsageError(`field "${name}": its column would be ${column}, which every resource has already`);
  const [first, ...others] = rest;
  const named = first !== undefined && !FLAGS.includes(first) && !isAction(first) ? first : undefined;
  const flags = named === undefined ? rest : others;
  const unknown = flags.filter((flag) => !FLAGS.includes(flag) && !isAction(flag));
  if (unknown.length > 0 || new Set(flags).size !== flags.length) {
    throw new UsageError(
      `field "${name}": after references, the parent's plural if it is not ${name}'s, then only :unique, :optional, and :cascade or :set-null (each once)`,
    );
  }
  if (named !== undefined && !SNAKE_CASE.test(named)) throw new UsageError(`field "${name}": "${named}" is not a resource's plural name`);
  const actions = flags.filter(isAction);
  if (actions.length > 1)
    throw new UsageError(`field "${name}": deleting its parent either deletes (:cascade) or empties (:set-null) it, not both`);
  const optional = flags.includes('optional');
  if (actions[0] === 'set-null' && !optional) {
    throw new UsageError(`field "${name}": :set-null needs :optional too, so that the column can be null once its parent is gone`);
  }
  if (named === plural || (named === undefined && name === singular)) {
    throw new UsageError(`field "${name}": a resource cannot refer to itself: the parent must exist before the resource is generated`);
  }
  const parent = resources.find(named === undefined ? { singular: name } : { plural: named });
  if (tenant && !parent.tenant) {
    throw new UsageError(
      `field "${name}": ${plural} are --tenant and ${parent.plural} are not; PostgreSQL keeps a ${singular.replace(/_/g, ' ')} in its ${parent.noun}'s tenant only when both tables have tenant_id (give both --tenant, or neither)`,
    );
  }
  if (!tenant && parent.tenant) {
    throw new UsageError(
      `field "${name}": ${parent.plural} are --tenant and ${plural} are not; a ${singular.replace(/_/g, ' ')} of no tenant would refer to one tenant's ${parent.noun}, which row-level security hides from the others (give ${plural} --tenant too)`,
    );
  }
  return {
    name: column,
    property: camel(column),
    type: 'references',
    unique: flags.includes('unique'),
    optional,
    reference: { as: camel(name), parent, onDelete: ON_DELETE_FLAGS[actions[0] ?? ''] ?? 'RESTRICT' },
  };
}

/**
 * The resource from the command line's arguments (after `--`). A references field's parent is looked up in
 * resources (project.ts: the project's files); without them, a references field is refused.
 */
export function parseArguments(args: readonly string[], resources: Resources = NO_RESOURCES): ResourceSpec {
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
  const fields = fieldArgs.map((text) => parseField(text, { plural, singular, tenant, resources }));
  const duplicates = fields.filter((field) => fields.some((other) => other !== field && other.name === field.name));
  if (duplicates.some((field) => field.reference))
    throw new UsageError(`two fields would both be the column ${duplicates[0]?.name}: rename one`);
  if (duplicates.length > 0) throw new UsageError(`field "${duplicates[0]?.name}" is given twice`);
  const sameProperty = fields.find((field, index) => fields.findIndex((other) => other.property === field.property) !== index);
  if (sameProperty) throw new UsageError(`two fields would both be ${sameProperty.property} in JSON: rename one`);
  // A model's attributes and its associations share one namespace: customer:references and customer:string collide.
  const association = fields.find((field) => fields.some((other) => other.property === field.reference?.as));
  if (association)
    throw new UsageError(
      `field "${association.reference?.as}": the reference and another field would both be ${association.reference?.as} on the model`,
    );
  const references = fields.flatMap((field) => (field.reference ? [field.reference] : []));
  const twice = references.find(
    (reference, index) => references.findIndex((other) => other.parent.plural === reference.parent.plural) !== index,
  );
  if (twice) {
    throw new UsageError(
      `two fields refer to ${twice.parent.plural}: each reference is listed at /${twice.parent.plural}/{id}/${plural}, so a resource can refer to a parent once`,
    );
  }
  const names = resourceNames(plural, singular);
  for (const [name, inUse] of [
    [names.className, CLASS_NAMES_IN_USE],
    [names.variable, VARIABLE_NAMES_IN_SCOPE],
  ] as const) {
    if (inUse.has(name)) throw new UsageError(`"${plural}": ${name} is a name the generated code already uses; choose another name`);
  }
  return { ...names, fields, tenant };
}

export const HELP = `usage: npm run generate:resource -- <plural-name> <field>... [--tenant] [--singular=<name>]

Writes a resource with list (keyset pagination), get, create, change (PATCH) and delete:
  db/migrations/<stamp>-create-<name>.js   the table (id uuidv7(), created_at, updated_at), reversible
  app/models/<singular>.ts                 the model, added to MODELS in app/models/index.ts
  app/schemas/<singular>.ts                the request and response shapes (validation and OpenAPI)
  app/controllers/<name>.ts                the handlers of its operations, added to ROUTES in app/routes.ts
  app/views/<singular>.ts                  model -> JSON
  test/app/<name>.test.ts                  its tests, against the real PostgreSQL
  (file names in kebab-case: stock_items writes app/models/stock-item.ts, app/controllers/stock-items.ts)

  <plural-name>  plural snake_case: widgets, stock_items
  <field>        name:type[:unique][:optional], the name snake_case: the column (unit_price); in
                 TypeScript and JSON it is camelCase (unitPrice), as keel's own bodies are
                 types: string (varchar(255)), text, integer, bigint (JSON string), decimal (numeric(12,2),
                 JSON string), boolean, uuid, date (YYYY-MM-DD), timestamp (ISO 8601, with time zone),
                 references (below)
  <name>:references[:<parent-plural>][:unique][:optional][:cascade|:set-null]
                 a row of another resource, generated before: customer:references is a column
                 customer_id (customerId in JSON) with a foreign key to customers(id) and an index, the
                 model's belongsTo, and GET /customers/{id}/orders (a customer's orders, paged as every
                 list; 404 for an unknown customer) in the controller and the route table. The parent is
                 the resource whose singular is the name, or the one named (buyer:references:customers).
                 An id no parent has is a 409; deleting a parent that still has rows is a 409 (ON DELETE
                 RESTRICT), unless :cascade deletes them with it or :set-null (with :optional) empties
                 their reference. :unique: at most one row a parent (one-to-one). Both resources --tenant,
                 or neither: a row refers only to a parent of its own tenant, which PostgreSQL holds.
  --tenant       a tenant_id column and row-level security on current_setting('app.tenant_id'):
                 each tenant sees and changes only its rows; unique fields are unique per tenant
  --singular=<name>
                 the singular, where the one made from the plural is wrong (caches: --singular=cache):
                 the model, its file and its variable are named after it (courses: course, people: person)

Nothing is written when any file exists already. Examples:
  npm run generate:resource -- widgets name:string:unique size:integer note:text:optional
  npm run generate:resource -- customers name:string
  npm run generate:resource -- orders customer:references total:decimal
`;
