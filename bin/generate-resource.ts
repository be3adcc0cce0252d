#!/usr/bin/env node
// npm run generate:resource -- <plural-name> <field>... [--tenant]: writes a resource (see --help),
// all of it or nothing. A references field's parent is read off the project's files (project.ts).
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/project';
import { controllerSource, migrationSource, modelSource, schemasSource, testSource, viewSource } from '../lib/keel/generator/files';
import { formatted } from '../lib/keel/generator/format';
import { projectResources } from '../lib/keel/generator/project';
import { migrationStamp } from '../lib/keel/generator/stamps';
import { withModel, withRoute } from '../lib/keel/generator/registry';
import { HELP, parseArguments, UsageError, type ResourceSpec } from '../lib/keel/generator/spec';

/** Every file the resource writes or changes, by path relative to the project, with its new text. */
function plan(spec: ResourceSpec, root: string, now: Date): { created: Map<string, string>; changed: Map<string, string> } {
  const stamp = migrationStamp(root, now);
  const migrationName = `create-${spec.pluralFile}`;
  const created = new Map([
    [`db/migrations/${stamp}-${migrationName}.js`, migrationSource(spec, migrationName)],
    [`app/models/${spec.file}.ts`, modelSource(spec)],
    [`app/schemas/${spec.file}.ts`, schemasSource(spec)],
    [`app/controllers/${spec.pluralFile}.ts`, controllerSource(spec)],
    [`app/views/${spec.file}.ts`, viewSource(spec)],
    [`test/app/${spec.pluralFile}.test.ts`, testSource(spec)],
  ]);
  const read = (file: string): string => fs.readFileSync(path.join(root, file), 'utf8');
  const changed = new Map([
    ['app/models/index.ts', withModel(read('app/models/index.ts'), spec)],
    ['app/routes.ts', withRoute(read('app/routes.ts'), spec)],
  ]);
  return { created, changed };
}

/** The files of this resource already there, whatever their stamp (a migration creating the same table counts). */
function existing(spec: ResourceSpec, root: string, files: Iterable<string>): string[] {
  const found = [...files].filter((file) => fs.existsSync(path.join(root, file)));
  const migrations = fs.readdirSync(path.join(root, 'db', 'migrations'));
  const suffix = `-create-${spec.pluralFile}.js`;
  return [...found, ...migrations.filter((name) => name.endsWith(suffix)).map((name) => `db/migrations/${name}`)];
}

async function main(args: readonly string[]): Promise<number> {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    (args.length === 0 ? process.stderr : process.stdout).write(HELP);
    return args.length === 0 ? 2 : 0;
  }
  const root = projectRoot();
  let spec: ResourceSpec;
  try {
    spec = parseArguments(args, projectResources(root));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`generate:resource: ${error.message}\n(npm run generate:resource -- --help)\n`);
    return 2;
  }
  const { created, changed } = plan(spec, root, new Date());
  const clashes = existing(spec, root, created.keys());
  if (clashes.length > 0) {
    process.stderr.write(`generate:resource: nothing written: these exist already:\n  ${clashes.join('\n  ')}\n`);
    return 2;
  }
  const texts = new Map<string, string>();
  for (const [file, text] of [...created, ...changed]) texts.set(file, await formatted(path.join(root, file), text));
  const written: string[] = [];
  try {
    for (const file of created.keys()) {
      // A fresh clone has no app/schemas/, app/controllers/ or app/views/ yet: the first resource makes them.
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), texts.get(file) ?? '', { flag: 'wx' });
      written.push(file);
    }
    for (const file of changed.keys()) fs.writeFileSync(path.join(root, file), texts.get(file) ?? '');
  } catch (error) {
    // All or nothing: a failure half way removes what was written.
    for (const file of written) fs.rmSync(path.join(root, file), { force: true });
    throw error;
  }
  process.stdout.write(
    [...created.keys()].map((file) => `created ${file}\n`).join('') +
      [...changed.keys()].map((file) => `changed ${file}\n`).join('') +
      `\nnext: npm run db:migrate, then npm test (or npm run dev and curl localhost:3000/${spec.plural})\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`generate:resource: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
