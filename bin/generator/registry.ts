// Adds the resource to MODELS (app/models/index.ts) and ROUTES (app/routes.ts) at their marker comments.
import { controllerName } from './controller';
import type { ResourceSpec } from './spec';

export const MODELS_MARKER = '// generate:resource adds models above this line';
export const ROUTES_MARKER = '// generate:resource adds routes above this line';

/** Inserts text before the marker's line (indented like it), and an import after the last import. */
function insert(source: string, file: string, marker: string, entry: string, importLine: string): string {
  const markerAt = source.indexOf(marker);
  if (markerAt < 0) throw new Error(`${file} has no "${marker}" line: put it back where the list ends`);
  const lineStart = source.lastIndexOf('\n', markerAt) + 1;
  const indent = source.slice(lineStart, markerAt);
  const withEntry = `${source.slice(0, lineStart)}${indent}${entry}\n${source.slice(lineStart)}`;
  const imports = [...withEntry.matchAll(/^import [^;]*;$/gm)];
  const last = imports.at(-1);
  if (!last) throw new Error(`${file} has no import`);
  const end = last.index + last[0].length;
  return `${withEntry.slice(0, end)}\n${importLine}${withEntry.slice(end)}`;
}

export function withModel(source: string, spec: ResourceSpec): string {
  return insert(
    source,
    'app/models/index.ts',
    MODELS_MARKER,
    `${spec.className},`,
    `import { ${spec.className} } from './${spec.singular}';`,
  );
}

export function withRoute(source: string, spec: ResourceSpec): string {
  const controller = controllerName(spec.plural);
  return insert(
    source,
    'app/routes.ts',
    ROUTES_MARKER,
    `{ path: '/${spec.plural}', operations: ${spec.constant}_OPERATIONS, router: ${controller} },`,
    `import { ${spec.constant}_OPERATIONS, ${controller} } from './controllers/${spec.plural}';`,
  );
}
