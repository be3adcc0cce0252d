// Adds the resource to MODELS (app/models/index.ts) and ROUTES (app/routes.ts) at their marker comments.
import { controllerName } from './files';
import type { ResourceSpec } from './spec';

export const MODELS_MARKER = '// generate:resource adds models above this line';
export const ROUTES_MARKER = '// generate:resource adds routes above this line';

/**
 * Inserts the entries before the marker's line (indented like it), and the import among the file's own
 * (relative) imports in path order, or after the last import when none sorts after it.
 */
function insert(source: string, file: string, marker: string, entries: readonly string[], importLine: string): string {
  const markerAt = source.indexOf(marker);
  if (markerAt < 0) throw new Error(`${file} has no "${marker}" line: put it back where the list ends`);
  const lineStart = source.lastIndexOf('\n', markerAt) + 1;
  const indent = source.slice(lineStart, markerAt);
  const lines = entries.map((entry) => `${indent}${entry}\n`).join('');
  const withEntry = `${source.slice(0, lineStart)}${lines}${source.slice(lineStart)}`;
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
  return insert(
    source,
    'app/models/index.ts',
    MODELS_MARKER,
    [`${spec.className},`],
    `import { ${spec.className} } from './${spec.file}';`,
  );
}

/**
 * The resource's entry, and one at each parent's path for its list under that parent
 * ({ path: '/customers', operations: CUSTOMER_ORDER_OPERATIONS, … }): the parent's own files are left as they are.
 */
export function withRoute(source: string, spec: ResourceSpec): string {
  const nested = spec.fields.flatMap(({ reference }) =>
    reference
      ? [
          {
            path: reference.parent.plural,
            operations: `${reference.parent.constant}_${spec.constant}_OPERATIONS`,
            controller: `${reference.parent.variable}${spec.pluralClassName}Controller`,
          },
        ]
      : [],
  );
  const entries = [{ path: spec.plural, operations: `${spec.constant}_OPERATIONS`, controller: controllerName(spec) }, ...nested];
  return insert(
    source,
    'app/routes.ts',
    ROUTES_MARKER,
    entries.map(
      ({ path, operations, controller }) =>
        `{ path: '/${path}', operations: ${operations}, access: 'authenticated', router: ${controller} },`,
    ),
    `import { ${entries.flatMap(({ operations, controller }) => [operations, controller]).join(', ')} } from './controllers/${spec.pluralFile}';`,
  );
}
