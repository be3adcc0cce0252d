// Adds the resource to MODELS (app/models/index.ts) and ROUTES (app/routes.ts) at their marker comments.
import { controllerName } from './files';
import type { ResourceSpec } from './spec';

export const MODELS_MARKER = '// generate:resource adds models above this line';
export const ROUTES_MARKER = '// generate:resource adds routes above this line';

/**
 * Inserts text before the marker's line (indented like it), and the import among the file's own
 * (relative) imports in path order, or after the last import when none sorts after it.
 */
function insert(source: string, file: string, marker: string, entry: string, importLine: string): string {
  const markerAt = source.indexOf(marker);
  if (markerAt < 0) throw new Error(`${file} has no "${marker}" line: put it back where the list ends`);
  const lineStart = source.lastIndexOf('\n', markerAt) + 1;
  const indent = source.slice(lineStart, markerAt);
  const withEntry = `${source.slice(0, lineStart)}${indent}${entry}\n${source.slice(lineStart)}`;
  const imports = [...withEntry.matchAll(/^import [^;]*? from '([^']+)';$/gm)];
  const last = imports.at(-1);
  if (!last) throw new Error(`${file} has no import`);
  const from = /from '([^']+)'/.exec(importLine)?.[1] ?? '';
  const before = imports.find(([, path = '']) => path.startsWith('.') && path > from);
  if (before) return `${withEntry.slice(0, before.index)}${importLine}\n${withEntry.slice(before.index)}`;
  const end = last.index + last[0].length;
  return `${withEntry.slice(0, end)}\n${importLine}${withEntry.slice(end)}`;
}

export function withModel(source: string, spec: ResourceSpec): string {
  return insert(source, 'app/models/index.ts', MODELS_MARKER, `${spec.className},`, `import { ${spec.className} } from './${spec.file}';`);
}

export function withRoute(source: string, spec: ResourceSpec): string {
  const controller = controllerName(spec);
  return insert(
    source,
    'app/routes.ts',
    ROUTES_MARKER,
    `{ path: '/${spec.plural}', operations: ${spec.constant}_OPERATIONS, access: 'authenticated', router: ${controller} },`,
    `import { ${spec.constant}_OPERATIONS, ${controller} } from './controllers/${spec.pluralFile}';`,
  );
}
