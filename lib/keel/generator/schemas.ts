// The schemas (app/schemas/<singular>.ts): one declaration gives the types, the validation and the OpenAPI document.
import type { ResourceSpec } from './spec';
import { typeOf } from './types';

export function schemasSource(spec: ResourceSpec): string {
  const { className, noun, nouns } = spec;
  const inputFields = spec.fields.map((field) => {
    const schema = typeOf(field).input;
    return `  ${field.property}: ${field.optional ? `${schema}.nullable().optional()` : schema},`;
  });
  const outputFields = [
    '    id: z.uuid(),',
    ...(spec.tenant ? ['    tenantId: z.uuid(),'] : []),
    ...spec.fields.map((field) => `    ${field.property}: ${typeOf(field).output}${field.optional ? '.nullable()' : ''},`),
    '    createdAt: z.iso.datetime(),',
    '    updatedAt: z.iso.datetime(),',
  ];
  const constant = spec.constant;
  const inputExample = spec.fields.map((field) => `  ${field.property}: ${typeOf(field).example},`);
  const outputExample = [
    "  id: '0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a1b',",
    ...(spec.tenant ? ["  tenantId: '6d1b3c5e-2f4a-4b8c-9d0e-1a2b3c4d5e6f',"] : []),
    ...inputExample,
    "  createdAt: '2026-01-15T09:30:00.000Z',",
    "  updatedAt: '2026-01-15T09:30:00.000Z',",
  ];
  const values = [...new Set(spec.fields.flatMap((field) => typeOf(field).uses ?? []))].sort();
  const valuesImport = values.length > 0 ? `import { ${values.join(', ')} } from '../../lib/keel/schemas/values';\n` : '';
  return `import { z } from 'zod';
${valuesImport}
export const ${className}Params = z.strictObject({ id: z.uuid().meta({ description: 'The ${noun} id.' }) });

// Strict, as the body is: a misspelt parameter (?afer=) is a 400, not the first page again.
export const ${className}ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'At most this many ${nouns}.' }),
  after: z.uuid().optional().meta({ description: 'The next page: the previous page\\'s next.' }),
});

const fields = {
${inputFields.join('\n')}
};

export const ${className}Input = z.strictObject(fields).meta({ id: '${className}Input', description: 'A new ${noun}.' });

export const ${className}Changes = z
  .strictObject(fields)
  .partial()
  .refine((changes) => Object.keys(changes).length > 0, { path: [], message: 'Must change at least one field.' })
  .meta({ id: '${className}Changes', description: 'The fields to change: at least one.' });

export const ${className} = z
  .strictObject({
${outputFields.join('\n')}
  })
  .meta({ id: '${className}', description: 'A ${noun}.' });

export const ${className}List = z
  .strictObject({
    items: z.array(${className}),
    next: z.uuid().nullable().meta({ description: 'Pass as after for the next page; null on the last page.' }),
  })
  .meta({ id: '${className}List', description: '${nouns.replace(/^[a-z]/, (letter) => letter.toUpperCase())} in creation order.' });

// The OpenAPI document's examples: fixed values (the suite checks each against its schema).
export const ${constant}_INPUT_EXAMPLE: z.input<typeof ${className}Input> = {
${inputExample.join('\n')}
};

export const ${constant}_EXAMPLE: z.output<typeof ${className}> = {
${outputExample.join('\n')}
};
`;
}
