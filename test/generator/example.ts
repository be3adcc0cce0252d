// npm run generate:example: writes test/support/example/, keel's example project, as the generator writes it:
// a plain resource, a --tenant one, and a parent with a child that refers to it, generated with the same
// commands `npm run test:generator` gives in a fresh clone (check.ts), which then compares the two byte for
// byte. keel's own tests mount it (test/support/example-app.ts). Run it again after changing a template:
// the example's generated files are replaced (the migrations' stamps are fixed, so nothing else changes),
// and the change shows in review. Only test/support/example/test/support/ is written by hand.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../config/project';
import { formatted } from '../../lib/keel/generator/format';
import { projectResources } from '../../lib/keel/generator/project';
import { plan, write } from '../../lib/keel/generator/resource';
import { parseArguments } from '../../lib/keel/generator/spec';
import { PLAIN, RELATIONS, TENANT } from './check';

export const EXAMPLE_ROOT = path.join(projectRoot(), 'test', 'support', 'example');

/** The generate:resource commands the example is made of, in order: a parent before its child. */
export const EXAMPLE_COMMANDS: readonly (readonly string[])[] = [PLAIN, TENANT, ...RELATIONS.slice(0, 2)];

/** The generated migrations' "now": each is stamped a second after the one before (20260201000000, …01, …). */
const NOW = new Date('2026-02-01T00:00:00Z');

/** What the generator writes (and this script replaces); the example's test/support/ is its own. */
const GENERATED = ['app', 'db', 'test/app'];

/** The files a resource's entries are added to, as a project starts with them. */
const REGISTRIES = ['app/models/index.ts', 'app/routes.ts'];

/**
 * A registry as keel ships it, its relative imports pointed from the example's copy to the same modules: the
 * list must hold nothing before the generator's marker but keel's own, so that the example starts as a project does.
 */
function registryAt(file: string): string {
  const source = fs.readFileSync(path.join(projectRoot(), file), 'utf8');
  const listed = /= \[\n([\s\S]*?)\n\s*\/\/ generate:resource adds/.exec(source)?.[1]?.trim() ?? '';
  if (!['', '...KEEL_ROUTES,'].includes(listed)) {
    throw new Error(`${file} lists resources of this checkout (${listed}): run generate:example where it lists keel's own only`);
  }
  const from = path.dirname(path.join(projectRoot(), file));
  const to = path.dirname(path.join(EXAMPLE_ROOT, file));
  return source.replace(/from '(\.\.?\/[^']+)'/g, (_match, target: string) => {
    const relative = path.relative(to, path.resolve(from, target)).split(path.sep).join('/');
    return `from '${relative.startsWith('.') ? relative : `./${relative}`}'`;
  });
}

async function main(): Promise<void> {
  const root = EXAMPLE_ROOT;
  for (const folder of GENERATED) fs.rmSync(path.join(root, folder), { recursive: true, force: true });
  fs.mkdirSync(path.join(root, 'db', 'migrations'), { recursive: true });
  fs.mkdirSync(path.join(root, 'app', 'models'), { recursive: true });
  for (const file of REGISTRIES) fs.writeFileSync(path.join(root, file), await formatted(path.join(root, file), registryAt(file)));
  for (const args of EXAMPLE_COMMANDS) {
    const files = plan(parseArguments(args, projectResources(root)), { root, keelRoot: projectRoot() }, NOW);
    await write(root, files);
  }
  console.log(`generate:example: wrote ${path.relative(projectRoot(), root)}/ (${EXAMPLE_COMMANDS.map(([plural]) => plural).join(', ')})`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`generate:example: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
