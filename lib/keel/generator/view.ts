// The view (app/views/<singular>.ts): a row (or a model instance) to its JSON, pure.
import type { ResourceSpec } from './spec';
import { typeOf } from './types';

export function viewSource(spec: ResourceSpec): string {
  const { className, file, variable: v } = spec;
  const value = (name: string, isoDate: boolean, optional: boolean): string => {
    if (!isoDate) return `${v}.${name}`;
    return optional ? `${v}.${name}?.toISOString() ?? null` : `${v}.${name}.toISOString()`;
  };
  const properties = [
    `id: ${v}.id`,
    ...(spec.tenant ? [`tenantId: ${v}.tenantId`] : []),
    ...spec.fields.map((field) => `${field.property}: ${value(field.property, typeOf(field).isoDate, field.optional)}`),
    `createdAt: ${v}.createdAt.toISOString()`,
    `updatedAt: ${v}.updatedAt.toISOString()`,
  ];
  return `import type { z } from 'zod';
import type { ${className}Row } from '../models/${file}';
import type { ${className} as ${className}Schema, ${className}List } from '../schemas/${file}';

export function ${v}Body(${v}: ${className}Row): z.output<typeof ${className}Schema> {
  return {
${properties.map((property) => `    ${property},`).join('\n')}
  };
}

export function ${v}ListBody(${spec.pluralVariable}: readonly ${className}Row[], next: string | null): z.output<typeof ${className}List> {
  return { items: ${spec.pluralVariable}.map(${v}Body), next };
}
`;
}
