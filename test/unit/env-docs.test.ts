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

/** Variables in the first column of the README's configuration table. */
function readmeTableVariables(): string[] {
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)`\s*\|/gm)].map((match) => match[1] as string).sort();
}

describe('the documented configuration', () => {
  it('lists every schema variable in .env.example, and nothing the schema does not read', () => {
    expect(envExampleVariables()).to.deep.equal(schemaVariables);
  });

  it("lists every schema variable in the README's configuration table, and nothing else", () => {
    expect(readmeTableVariables()).to.deep.equal(schemaVariables);
  });

  it('gives every schema variable a description that states its rule', () => {
    for (const [name, spec] of Object.entries(envSpec)) {
      expect((spec as { desc?: string }).desc, name)
        .to.be.a('string')
        .with.length.greaterThan(10);
    }
  });
});
