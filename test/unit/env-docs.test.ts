import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { envSpec } from '../../config/env';
import { projectRoot } from '../../config/project';

const read = (file: string): string => fs.readFileSync(path.join(projectRoot(), file), 'utf8');
const schemaVariables = Object.keys(envSpec).sort();

/** Variables .env.example sets or shows commented out: `NAME=` or `# NAME=` at a line start. */
function envExampleVariables(): string[] {
  return [...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] as string).sort();
}

/** Variables in the first column of the table under "## Variables" in docs/configuration.md. */
function documentedTableVariables(): string[] {
  const page = read('docs/configuration.md');
  const start = page.indexOf('## Variables');
  expect(start, 'docs/configuration.md has a "## Variables" section').to.be.greaterThan(-1);
  const end = page.indexOf('\n## ', start + 1);
  const section = page.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)`\s*\|/gm)].map((match) => match[1] as string).sort();
}

describe('the documented configuration', () => {
  it('lists every schema variable in .env.example, and nothing the schema does not read', () => {
    expect(envExampleVariables()).to.deep.equal(schemaVariables);
  });

  it("lists every schema variable in docs/configuration.md's table, and nothing else", () => {
    expect(documentedTableVariables()).to.deep.equal(schemaVariables);
  });

  it('gives every schema variable a description that states its rule', () => {
    for (const [name, spec] of Object.entries(envSpec)) {
      expect((spec as { desc?: string }).desc, name)
        .to.be.a('string')
        .with.length.greaterThan(10);
    }
  });
});
