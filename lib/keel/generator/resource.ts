// What `npm run generate:resource` does to a project, all of it or nothing: the plan of files a resource
// writes or changes, and writing them. bin/generate-resource.ts runs it on the project; npm run
// generate:example runs it on keel's example (test/support/example), a project inside keel's own.
import fs from 'node:fs';
import path from 'node:path';
import { controllerSource, migrationSource, modelSource, schemasSource, testSource, viewSource, type Placement } from './files';
import { formatted } from './format';
import { withModel, withRoute } from './registry';
import type { ResourceSpec } from './spec';
import { migrationStamp } from './stamps';

/** Where a resource is written: the project's root, and where keel's lib/keel is (in a project, under the same root). */
export interface Target {
  readonly root: string;
  readonly keelRoot: string;
}

/** The generated files' path to lib/keel: each sits two folders below the root (app/models/widget.ts). */
function placementOf({ root, keelRoot }: Target): Placement {
  return {
    keel: path
      .relative(path.join(root, 'app', 'models'), path.join(keelRoot, 'lib', 'keel'))
      .split(path.sep)
      .join('/'),
  };
}

/** Every file the resource writes or changes, by path relative to the root, with its new text. */
export function plan(spec: ResourceSpec, target: Target, now: Date): { created: Map<string, string>; changed: Map<string, string> } {
  const { root } = target;
  const placement = placementOf(target);
  const stamp = migrationStamp(root, now);
  const migrationName = `create-${spec.pluralFile}`;
  const created = new Map([
    [`db/migrations/${stamp}-${migrationName}.js`, migrationSource(spec, migrationName)],
    [`app/models/${spec.file}.ts`, modelSource(spec, placement)],
    [`app/schemas/${spec.file}.ts`, schemasSource(spec, placement)],
    [`app/controllers/${spec.pluralFile}.ts`, controllerSource(spec, placement)],
    [`app/views/${spec.file}.ts`, viewSource(spec, placement)],
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
export function existing(spec: ResourceSpec, root: string, files: Iterable<string>): string[] {
  const found = [...files].filter((file) => fs.existsSync(path.join(root, file)));
  const migrations = fs.readdirSync(path.join(root, 'db', 'migrations'));
  const suffix = `-create-${spec.pluralFile}.js`;
  return [...found, ...migrations.filter((name) => name.endsWith(suffix)).map((name) => `db/migrations/${name}`)];
}

/** Writes the plan's files as `npm run format` would leave them; a failure half way removes what was written. */
export async function write(root: string, { created, changed }: ReturnType<typeof plan>): Promise<void> {
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
    for (const file of written) fs.rmSync(path.join(root, file), { force: true });
    throw error;
  }
}
