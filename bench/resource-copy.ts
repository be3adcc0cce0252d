// The keel the resource mode serves: a throwaway clone of this repository with a generated widgets
// resource, built. Nothing is written to the repository itself.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './keel';

const run = promisify(execFile);

/** The example: a plural name, then name:type[:unique][:optional] fields. */
export const RESOURCE_COMMAND = ['widgets', 'name:string:unique', 'size:integer', 'note:text:optional'] as const;

export interface ResourceCopy {
  /** The copy's root: dist/bin/www.js and its migrations are there. */
  readonly root: string;
  /** The commits served, for the report. */
  readonly description: string;
  remove(): Promise<void>;
}

export interface CopyOptions {
  /** The commit the copy starts from; HEAD by default (committed work only). */
  readonly ref: string;
  /** A branch or commit to merge in first, for a generator not on this commit yet. */
  readonly mergeFrom?: string;
  readonly log: (line: string) => void;
}

/**
 * git clone of this repository at options.ref (plus options.mergeFrom), node_modules linked to this
 * checkout's, then `npm run generate:resource -- widgets …` and a build. Nothing else is changed: keel's
 * own settings hook turns the bench's bearer token (bench/identity.ts) into the unit of work's settings.
 */
export async function prepareResourceCopy(options: CopyOptions): Promise<ResourceCopy> {
  const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-bench-resource-'));
  const root = path.join(parent, 'keel');
  const remove = (): Promise<void> => fs.rm(parent, { recursive: true, force: true });
  const inCopy = (file: string, args: readonly string[]): Promise<{ stdout: string }> =>
    run(file, args, { cwd: root, env: { ...process.env, NODE_ENV: 'development' }, maxBuffer: 16 * 1024 * 1024 });
  try {
    const commit = (await run('git', ['rev-parse', '--verify', `${options.ref}^{commit}`], { cwd: ROOT })).stdout.trim();
    await run('git', ['clone', '--quiet', '--shared', '--no-checkout', ROOT, root]);
    await inCopy('git', ['checkout', '--quiet', '--detach', commit]);
    let description = `${options.ref} (${commit.slice(0, 8)})`;
    if (options.mergeFrom) {
      const other = (await run('git', ['rev-parse', '--verify', `${options.mergeFrom}^{commit}`], { cwd: ROOT })).stdout.trim();
      await inCopy('git', ['-c', 'user.name=keel-bench', '-c', 'user.email=bench@keel.invalid', 'merge', '--quiet', '--no-edit', other]);
      description += ` merged with ${options.mergeFrom} (${other.slice(0, 8)})`;
    }
    await fs.symlink(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    const manifest = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    if (!manifest.scripts?.['generate:resource']) {
      throw new Error(`${description} has no \`npm run generate:resource\`: pass --resource-merge <a branch that has the generator>`);
    }
    options.log(`resource copy: ${description} in ${root}; generating and building`);
    await inCopy('npm', ['run', '--silent', 'generate:resource', '--', ...RESOURCE_COMMAND]);
    await inCopy('npm', ['run', '--silent', 'build']);
    return { root, description, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
