// The view (app/views/<singular>.ts): a row (or a model instance) to its JSON, pure.
import type { ResourceSpec } from './spec';
import { typeOf } from './types';

export function viewSource(spec: ResourceSpec): string {
  const { className, singular } = spec;
  const value = (name: string, isoDate: boolean, optional: boolean): string => {
    if (!isoDate) return `${singular}.${name}`;
    return optional ? `${singular}.${name}?.toISOString() ?? null` : `${singular}.${name}.toISOString()`;
  };
  const properties = [
    `id: ${singular}.id`,
    ...(spec.tenant ? [`tenantId: ${singular}.tenantId`] : []),
    ...spec.fields.map((field) => `${field.property}: ${value(field.property, typeOf(field).isoDate, field.optional)}`),
    `createdAt: ${singular}.createdAt.toISOString()`,
    `updatedAt: ${singular}.updatedAt.toISOString()`,
  ];
  return `import type { z } from 'zod';
import type { ${className}Row } from '../models/${singular}';
import type { ${className} as ${className}Schema, ${className}List } from '../schemas/${singular}';

export function ${singular}Body(${singular}: ${className}Row): z.output<typeof ${className}Schema> {
  return {
${properties.map((property) => `    ${property},`).join('\n')}
  };
}

export function ${singular}ListBody(${spec.plural}: readonly ${className}Row[], next: string | null): z.output<typeof ${className}List> {
  return { items: ${spec.plural}.map(${singular}Body), next };
}
`;
}
