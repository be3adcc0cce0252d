#!/usr/bin/env node
// npm run generate:migration -- add-<what>-to-<plural> <field>...: the migration that adds fields to a
// resource generate:resource wrote, and the line each field takes in its model and its schemas
// (docs/data.md#adding-a-field).
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/project';
import { addColumnsSource, addedFields } from '../lib/keel/generator/files';
import { formatted } from '../lib/keel/generator/format';
import { projectResources } from '../lib/keel/generator/project';
import { migrationStamp } from '../lib/keel/generator/stamps';
import { parseArguments, UsageError, type Parent } from '../lib/keel/generator/spec';

const HELP = `usage: npm run generate:migration -- add-<what>-to-<plural> <field>...

Writes db/migrations/<stamp>-add-<what>-to-<plural>.js, which adds the fields' columns (with their unique
constraint, foreign key and index, as generate:resource declares them) to the table of a resource that
generate:resource wrote, and prints the line each field takes in app/models/<singular>.ts (ATTRIBUTES) and
app/schemas/<singular>.ts (FIELDS): the three places a field is declared (docs/data.md#adding-a-field).

  <field>  as generate:resource takes them: name:type[:unique][:optional], or a reference
           (customer:references…), whose nested list is generate:resource's only

Examples:
  npm run generate:migration -- add-colour-to-widgets colour:string:optional
  npm run generate:migration -- add-size-and-sku-to-widgets size:integer:optional sku:string:unique
`;

const NAME = /^add-[a-z0-9]+(?:-[a-z0-9]+)*-to-([a-z][a-z0-9]*(?:-[a-z0-9]+)*)$/;

function main(args: readonly string[]): Promise<number> | number {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    (args.length === 0 ? process.stderr : process.stdout).write(HELP);
    return args.length === 0 ? 2 : 0;
  }
  const [name = '', ...fieldArgs] = args;
  const table = NAME.exec(name)?.[1]?.replace(/-/g, '_');
  if (table === undefined) throw new UsageError(`"${name}": the name is add-<what>-to-<plural>, kebab-case: add-colour-to-widgets`);
  if (fieldArgs.length === 0) throw new UsageError('give at least one field, e.g. colour:string:optional');
  const root = projectRoot();
  const resources = projectResources(root);
  let resource: Parent;
  try {
    resource = resources.find({ plural: table });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(
      `${error.message}\ngenerate:migration adds fields to a resource generate:resource wrote; for another table, npm run db:migration:new -- ${name} and write its statements`,
    );
  }
  const spec = parseArguments(
    [table, `--singular=${resource.singular}`, ...(resource.tenant ? ['--tenant'] : []), ...fieldArgs],
    resources,
  );
  const model = `app/models/${spec.file}.ts`;
  const schemas = `app/schemas/${spec.file}.ts`;
  const modelSource = fs.readFileSync(path.join(root, model), 'utf8');
  const present = spec.fields.find((field) => new RegExp(`^\\s+${field.property}: `, 'm').test(modelSource));
  if (present) throw new UsageError(`${table} have ${present.property} already (${model})`);
  return write(root, name, spec, { model, schemas });
}

async function write(
  root: string,
  name: string,
  spec: ReturnType<typeof parseArguments>,
  files: { readonly model: string; readonly schemas: string },
): Promise<number> {
  const added = addedFields(spec);
  // Each line as the project's formatter writes it inside its object, so that lint passes once it is pasted.
  const shaped = async (line: string): Promise<string[]> => {
    const text = await formatted(path.join(root, files.model), `const FIELDS = {\n${line}\n};\n`);
    return text
      .split('\n')
      .slice(1, -2)
      .map((each) => each.slice(2));
  };
  const attributes = (await Promise.all(added.map((field) => shaped(field.attribute)))).flat();
  const fieldLines = (await Promise.all(added.map((field) => shaped(field.field)))).flat();
  const file = `db/migrations/${migrationStamp(root, new Date())}-${name}.js`;
  const text = await formatted(path.join(root, file), addColumnsSource(name, spec, added));
  fs.writeFileSync(path.join(root, file), text, { flag: 'wx' });
  const uses = [...new Set(added.flatMap((field) => field.uses ?? []))];
  const schemasSource = fs.readFileSync(path.join(root, files.schemas), 'utf8');
  const missing = uses.filter((value) => !new RegExp(`\\b${value}\\b`).test(schemasSource));
  const indent = (lines: readonly string[]): string => lines.map((line) => `    ${line}\n`).join('');
  process.stdout.write(
    `created ${file}\n\n` +
      `next, add each field's line:\n` +
      `  ${files.model}, in ATTRIBUTES before ...timestamps():\n${indent(attributes)}` +
      `  ${files.schemas}, at the end of FIELDS:\n${indent(fieldLines)}` +
      (missing.length > 0 ? `    (and import ${missing.join(', ')} from '../../lib/keel/schemas/values')\n` : '') +
      `then npm run db:migrate, and npm test: the resource's tests give a new field its example's value` +
      (spec.fields.some((field) => field.unique || field.reference)
        ? `;\n  a unique field or a reference needs a value of its own for each row in the test's fields()`
        : '') +
      '\n',
  );
  return 0;
}

function fail(error: unknown): void {
  if (error instanceof UsageError) {
    process.stderr.write(`generate:migration: ${error.message}\n(npm run generate:migration -- --help)\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`generate:migration: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

try {
  Promise.resolve(main(process.argv.slice(2))).then((code) => (process.exitCode = code), fail);
} catch (error) {
  fail(error);
}
