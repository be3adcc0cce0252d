import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrationSource, modelSource } from '../../lib/keel/generator/files';
import { projectResources } from '../../lib/keel/generator/project';
import { parseArguments, UsageError, type Resources } from '../../lib/keel/generator/spec';

/**
 * What a references field finds of its parent in the project: read off the model and the migration the
 * generator wrote for it (lib/keel/generator/project.ts).
 */
describe('npm run generate:resource: the parents a references field finds', () => {
  let root: string;
  let resources: Resources;

  /** Writes a resource's model and migration as the generator does, and returns the migration's path. */
  function generate(args: readonly string[], stamp: string): string {
    const spec = parseArguments(args, resources);
    const migration = path.join(root, 'db', 'migrations', `${stamp}-create-${spec.pluralFile}.js`);
    fs.writeFileSync(path.join(root, 'app', 'models', `${spec.file}.ts`), modelSource(spec));
    fs.writeFileSync(migration, migrationSource(spec, `create-${spec.pluralFile}`));
    return migration;
  }

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-generator-project-'));
    fs.mkdirSync(path.join(root, 'app', 'models'), { recursive: true });
    fs.mkdirSync(path.join(root, 'db', 'migrations'), { recursive: true });
    fs.writeFileSync(path.join(root, 'app', 'models', 'index.ts'), '');
    resources = projectResources(root);
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('finds a parent by its singular, with the fields a new one needs: the required ones, not the optional', () => {
    generate(['customers', 'name:string:unique', 'born_on:date', 'note:text:optional'], '20260101000001');

    const customers = resources.find({ singular: 'customer' });

    expect(customers).to.include({ plural: 'customers', singular: 'customer', className: 'Customer', tenant: false });
    expect(customers.needs).to.deep.equal([
      { property: 'name', type: 'string' },
      { property: 'bornOn', type: 'date' },
    ]);
  });

  it('finds a parent by its plural, whatever its singular (people: person)', () => {
    generate(['people', 'name:string'], '20260101000001');

    expect(resources.find({ plural: 'people' })).to.include({ singular: 'person', className: 'Person', file: 'person' });
  });

  it('reads a --tenant parent, and the parent a parent needs in turn', () => {
    generate(['accounts', 'name:string', '--tenant'], '20260101000001');
    generate(['projects', 'account:references', 'title:text', '--tenant'], '20260101000002');

    const projects = resources.find({ singular: 'project' });

    expect(projects.tenant).to.equal(true);
    expect(projects.needs).to.deep.equal([
      { property: 'accountId', type: 'references', parent: resources.find({ plural: 'accounts' }) },
      { property: 'title', type: 'text' },
    ]);
  });

  const refusals: ReadonlyArray<readonly [string, (migration: string) => void, { singular: string } | { plural: string }, string]> = [
    ['a parent without a model', () => undefined, { singular: 'shop' }, 'app/models/shop.ts does not exist'],
    ['a plural no model has', () => undefined, { plural: 'shops' }, "no model in app/models/ has tableName 'shops'"],
    ['a parent without its migration', (migration) => fs.rmSync(migration), { singular: 'account' }, 'no create-accounts migration'],
    [
      'a --tenant parent without UNIQUE ("tenant_id", "id")',
      (migration) =>
        fs.writeFileSync(
          migration,
          fs.readFileSync(migration, 'utf8').replace(/,\n\s*CONSTRAINT "accounts_tenant_id_id_key" UNIQUE \("tenant_id", "id"\)/, ''),
        ),
      { singular: 'account' },
      'have no UNIQUE ("tenant_id", "id")',
    ],
    [
      'a parent that needs a value of a type the generator does not write',
      (migration) =>
        fs.writeFileSync(migration, fs.readFileSync(migration, 'utf8').replace('"name" varchar(255) NOT NULL', '"name" jsonb NOT NULL')),
      { singular: 'account' },
      'accounts.name is jsonb',
    ],
  ];
  for (const [what, change, name, says] of refusals) {
    it(`refuses ${what}, saying why`, () => {
      change(generate(['accounts', 'name:string', '--tenant'], '20260101000001'));

      expect(() => resources.find(name))
        .to.throw(UsageError)
        .with.property('message')
        .that.includes(says);
    });
  }
});
