import fs from 'node:fs';
import path from 'node:path';

/**
 * The repository (or slug) root: the nearest directory above this file holding .sequelizerc.
 * Works both from the TypeScript sources and from the compiled files under dist/.
 */
export function projectRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, '.sequelizerc'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no .sequelizerc found above ${from}`);
    dir = parent;
  }
}

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
}

export function readPackageInfo(root: string = projectRoot()): PackageInfo {
  const parsed = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Partial<PackageInfo>;
  return Object.freeze({ name: String(parsed.name), version: String(parsed.version) });
}
