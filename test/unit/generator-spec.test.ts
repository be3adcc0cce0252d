import { expect } from 'chai';
import { KEEL_ROUTES } from '../../lib/keel/endpoints';
import { KEEL_ROUTE_NAMES, parseArguments, UsageError } from '../../lib/keel/generator/spec';

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
