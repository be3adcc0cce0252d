#!/usr/bin/env node
// npm run generate:resource -- <plural-name> <field>... [--tenant]: writes a resource (see --help),
// all of it or nothing. A references field's parent is read off the project's files (project.ts).
import { projectRoot } from '../config/project';
import { projectResources } from '../lib/keel/generator/project';
import { existing, plan, write } from '../lib/keel/generator/resource';
import { HELP, parseArguments, UsageError, type ResourceSpec } from '../lib/keel/generator/spec';

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
  const { created, changed } = plan(spec, { root, keelRoot: root }, new Date());
  const clashes = existing(spec, root, created.keys());
  if (clashes.length > 0) {
    process.stderr.write(`generate:resource: nothing written: these exist already:\n  ${clashes.join('\n  ')}\n`);
    return 2;
  }
  await write(root, { created, changed });
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
