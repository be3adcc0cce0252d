import { expect } from 'chai';
import { KEEL_ROUTES } from '../../lib/keel/endpoints';
import { KEEL_ROUTE_NAMES, parseArguments, resourceNames, UsageError, type Parent, type Resources } from '../../lib/keel/generator/spec';

const parent = (plural: string, singular: string, tenant = false): Parent => ({ ...resourceNames(plural, singular), tenant, needs: [] });

/** A project with these resources, found as project.ts finds them: by singular (customer:references) or plural. */
function project(...parents: readonly Parent[]): Resources {
  return {
    find(name) {
      const found = parents.find((one) => ('singular' in name ? one.singular === name.singular : one.plural === name.plural));
      if (!found) throw new UsageError(`no resource ${JSON.stringify(name)} to refer to`);
      return found;
    },
  };
}

const CUSTOMERS = parent('customers', 'customer');
const PEOPLE = parent('people', 'person');
const ACCOUNTS = parent('accounts', 'account', true);

describe('npm run generate:resource: its arguments', () => {
  it('names each field twice: snake_case for the column, camelCase for the model and the JSON', () => {
    const spec = parseArguments(['stock_items', 'unit_price:decimal', 'address_line_2:string:optional', 'size:integer:unique']);

    expect(spec).to.include({
      plural: 'stock_items',
      singular: 'stock_item',
      file: 'stock-item',
      pluralFile: 'stock-items',
      variable: 'stockItem',
      pluralVariable: 'stockItems',
      noun: 'stock item',
      nouns: 'stock items',
      className: 'StockItem',
      pluralClassName: 'StockItems',
      constant: 'STOCK_ITEM',
    });
    expect(spec.fields.map(({ name, property }) => [name, property])).to.deep.equal([
      ['unit_price', 'unitPrice'],
      ['address_line_2', 'addressLine2'],
      ['size', 'size'],
    ]);
    expect(spec.fields.map(({ unique, optional }) => [unique, optional])).to.deep.equal([
      [false, false],
      [false, true],
      [true, false],
    ]);
  });

  it("makes the singular from the plural's last word, as English has it", () => {
    const singulars = ['courses', 'responses', 'statuses', 'categories', 'boxes', 'people', 'order_lines', 'class_sessions'].map(
      (plural) => parseArguments([plural, 'name:string']).singular,
    );

    expect(singulars).to.deep.equal(['course', 'response', 'status', 'category', 'box', 'person', 'order_line', 'class_session']);
  });

  it('takes the singular from --singular where the one made from the plural is wrong', () => {
    const spec = parseArguments(['caches', '--singular=cache', 'key:string']);

    expect(spec).to.include({
      plural: 'caches',
      singular: 'cache',
      className: 'Cache',
      variable: 'cache',
      file: 'cache',
      pluralFile: 'caches',
    });
  });

  it('makes a references field a column <name>_id, a camelCase id in JSON, and an association to the parent whose singular it is', () => {
    const spec = parseArguments(['orders', 'customer:references', 'total:decimal'], project(CUSTOMERS));

    const [customer] = spec.fields;
    expect(customer).to.include({ name: 'customer_id', property: 'customerId', type: 'references', unique: false, optional: false });
    expect(customer?.reference).to.deep.equal({ as: 'customer', parent: CUSTOMERS, onDelete: 'RESTRICT' });
  });

  it('takes the parent named after references, where the field is named for its role (buyer:references:people)', () => {
    const spec = parseArguments(['orders', 'buyer:references:people:optional'], project(PEOPLE));

    expect(spec.fields[0]).to.include({ name: 'buyer_id', property: 'buyerId', optional: true });
    expect(spec.fields[0]?.reference).to.deep.include({ as: 'buyer', parent: PEOPLE });
  });

  it('deletes the rows with their parent with :cascade, and empties their reference with :set-null', () => {
    const cascade = parseArguments(['orders', 'customer:references:cascade'], project(CUSTOMERS));
    const setNull = parseArguments(['orders', 'customer:references:optional:set-null:unique'], project(CUSTOMERS));

    expect(cascade.fields[0]?.reference?.onDelete).to.equal('CASCADE');
    expect(setNull.fields[0]?.reference?.onDelete).to.equal('SET NULL');
    expect(setNull.fields[0]).to.include({ optional: true, unique: true });
  });

  it('lets a --tenant resource refer to a --tenant parent', () => {
    const spec = parseArguments(['projects', 'account:references', '--tenant'], project(ACCOUNTS));

    expect(spec.fields[0]?.reference?.parent).to.equal(ACCOUNTS);
  });

  const refusedReferences: ReadonlyArray<readonly [string, readonly string[], string]> = [
    ['a parent the project does not have', ['orders', 'shop:references'], 'no resource {"singular":"shop"} to refer to'],
    ['a parent named by a plural the project does not have', ['orders', 'buyer:references:buyers'], 'no resource {"plural":"buyers"}'],
    ['a reference to the resource itself', ['categories', 'category:references'], 'cannot refer to itself'],
    ['a reference to the resource itself by its plural', ['categories', 'parent:references:categories:optional'], 'cannot refer to itself'],
    [
      'a --tenant resource referring to a parent without --tenant',
      ['orders', 'customer:references', '--tenant'],
      'orders are --tenant and customers are not',
    ],
    [
      'a resource without --tenant referring to a --tenant parent',
      ['projects', 'account:references'],
      'accounts are --tenant and projects are not',
    ],
    [':set-null without :optional', ['orders', 'customer:references:set-null'], ':set-null needs :optional'],
    [':cascade with :set-null', ['orders', 'customer:references:optional:cascade:set-null'], 'not both'],
    [':cascade on a field that is not a reference', ['orders', 'total:decimal:cascade'], 'only a references field takes :cascade'],
    ['a reference named as its column', ['orders', 'customer_id:references'], 'customer:references writes customer_id'],
    ['a reference whose column every resource has', ['orders', 'tenant:references'], 'tenant_id, which every resource has already'],
    ['a reference and a field of its column', ['orders', 'customer:references', 'customer_id:uuid'], 'both be the column customer_id'],
    [
      'a reference and a field of the association’s name',
      ['orders', 'customer:references', 'customer:string'],
      'both be customer on the model',
    ],
    ['two references to one parent', ['orders', 'customer:references', 'buyer:references:customers'], 'listed at /customers/{id}/orders'],
    [
      'an unknown flag after references',
      ['orders', 'customer:references:customers:restrict'],
      'only :unique, :optional, and :cascade or :set-null',
    ],
  ];
  for (const [what, args, says] of refusedReferences) {
    it(`refuses ${what}, saying why`, () => {
      expect(() => parseArguments(args, project(CUSTOMERS, PEOPLE, ACCOUNTS, parent('categories', 'category'))))
        .to.throw(UsageError)
        .with.property('message')
        .that.includes(says);
    });
  }

  it('refuses a references field when it is given no project to find the parent in', () => {
    expect(() => parseArguments(['orders', 'customer:references']))
      .to.throw(UsageError)
      .with.property('message')
      .that.includes('needs the project');
  });

  const refused: ReadonlyArray<readonly [string, readonly string[], string]> = [
    ['a doubled underscore', ['widgets', 'unit__price:decimal'], 'snake_case'],
    ['a trailing underscore', ['widgets', 'price_:decimal'], 'snake_case'],
    ['an upper-case letter', ['widgets', 'unitPrice:decimal'], 'snake_case'],
    ['two fields with one JSON name', ['widgets', 'line_2:string', 'line2:string'], 'both be line2 in JSON'],
    ['a column every resource has', ['widgets', 'created_at:timestamp'], 'has it already'],
    ['a name that would shadow a model method', ['widgets', 'save:boolean'], 'save is a member of every model'],
    ['a name that would shadow Object.prototype', ['widgets', 'to_string:text'], 'toString is a member of every model'],
    ['a name that would shadow an instance field', ['widgets', 'data_values:text'], 'dataValues is a member of every model'],
    ['the same field twice', ['widgets', 'name:string', 'name:text'], 'given twice'],
    ['an unknown type', ['widgets', 'name:varchar'], 'must be one of'],
    ['a singular name', ['widget', 'name:string'], 'must be plural'],
    ['a word whose singular is itself', ['equipment', 'name:string'], 'must be plural'],
    ['a --singular that is the plural', ['caches', '--singular=caches', 'key:string'], 'differ from "caches"'],
    ['a --singular not in snake_case', ['caches', '--singular=Cache', 'key:string'], 'must be snake_case'],
    ['--singular twice', ['caches', '--singular=cache', '--singular=cach', 'key:string'], 'once'],
    ['no field', ['widgets'], 'at least one field'],
  ];
  for (const [what, args, says] of refused) {
    it(`refuses ${what}, saying why`, () => {
      expect(() => parseArguments(args))
        .to.throw(UsageError)
        .with.property('message')
        .that.includes(says);
    });
  }
});

describe("npm run generate:resource: the names keel's own routes take", () => {
  it("refuses the first segment of each of keel's route paths that could be a resource's name, and no other", () => {
    const segments = KEEL_ROUTES.map((entry) => entry.path.split('/')[1] ?? '').filter((segment) => /^[a-z][a-z0-9_]*$/.test(segment));

    expect([...KEEL_ROUTE_NAMES].sort()).to.deep.equal([...new Set(segments)].sort());
  });

  for (const name of KEEL_ROUTE_NAMES) {
    it(`refuses ${name}: the resource would be mounted at /${name}, which keel serves`, () => {
      expect(() => parseArguments([name, '--singular=item', 'name:string']))
        .to.throw(UsageError)
        .with.property('message')
        .that.includes(`keel serves /${name} itself`);
    });
  }

  it('takes words that are names in keel but no path of it (errors, tests, routes, openapis, openapi_jsons)', () => {
    for (const plural of ['errors', 'tests', 'routes', 'openapis', 'openapi_jsons']) {
      expect(() => parseArguments([plural, 'name:string']), plural).not.to.throw();
    }
  });
});
