import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, envSpec, loadConfig } from '../../config/env';
import { projectRoot } from '../../config/project';

const read = (file: string): string => fs.readFileSync(path.join(projectRoot(), file), 'utf8');
const schemaVariables = Object.keys(envSpec).sort();

/** Variables .env.example sets or shows commented out: `NAME=` or `# NAME=` at a line start. */
function envExampleVariables(): string[] {
  return [...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] as string).sort();
}

/** The rows of the table under "## Variables" in docs/configuration.md: variable name → its "rule" column. */
function documentedRules(): Map<string, string> {
  const page = read('docs/configuration.md');
  const start = page.indexOf('## Variables');
  expect(start, 'docs/configuration.md has a "## Variables" section').to.be.greaterThan(-1);
  const end = page.indexOf('\n## ', start + 1);
  const section = page.slice(start, end === -1 ? undefined : end);
  const rows = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|([^|]*)\|/gm)];
  return new Map(rows.map((row) => [row[1] as string, (row[3] as string).trim()]));
}

const documentedTableVariables = (): string[] => [...documentedRules().keys()].sort();

/** What an envalid validator spec exposes: its parser (which throws on a value it rejects) and its default. */
interface ValidatorShape {
  readonly _parse: (input: string) => unknown;
  readonly default?: unknown;
  readonly choices?: readonly unknown[];
}

const validator = (name: string): ValidatorShape => (envSpec as Record<string, ValidatorShape>)[name] as ValidatorShape;

function accepts(name: string, input: string): boolean {
  try {
    validator(name)._parse(input);
    return true;
  } catch {
    return false;
  }
}

function parsesAsNumber(name: string, input: string): boolean {
  try {
    return typeof validator(name)._parse(input) === 'number';
  } catch {
    return false;
  }
}

/** Variables whose validator reads a plain integer as a number: the whole-number variables. */
const integerVariables = schemaVariables.filter((name) => ['1', '100', '1000'].some((input) => parsesAsNumber(name, input)));

/** What loadConfig reports for a test environment with these variables set (empty: accepted). */
function configProblems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig({ NODE_ENV: 'test', ...env });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** Rules in docs/configuration.md that order one variable against another: "…; < `OTHER`". */
const documentedOrderings = [...documentedRules()].flatMap(([name, rule]) =>
  [...rule.matchAll(/(<|>|≥) `([A-Z][A-Z0-9_]*)`/g)].map((ordering) => ({
    name,
    operator: ordering[1] as '<' | '>' | '≥',
    other: ordering[2] as string,
  })),
);

describe('the documented configuration', () => {
  it('lists every schema variable in .env.example, and nothing the schema does not read', () => {
    expect(envExampleVariables()).to.deep.equal(schemaVariables);
  });

  it("lists every schema variable in docs/configuration.md's table, and nothing else", () => {
    expect(documentedTableVariables()).to.deep.equal(schemaVariables);
  });

  it('finds whole-number variables to check (the bounds test below is not vacuous)', () => {
    expect(integerVariables).to.include.members(['PORT', 'DB_POOL_MAX', 'SLOW_QUERY_MS', 'WEB_CONCURRENCY']);
  });

  for (const name of integerVariables) {
    it(`states in docs/configuration.md the range ${name} accepts: both bounds accepted, one beyond either rejected`, () => {
      const rule = documentedRules().get(name) ?? '';
      const range = /^(?:integer )?(\d+)–(\d+)(?:;|$)/.exec(rule);
      expect(range, `the documented rule of ${name} ("${rule}") starts with its range, as min–max`).to.not.equal(null);
      const [min, max] = [Number(range?.[1]), Number(range?.[2])];

      expect(accepts(name, String(min)), `${name}=${min}, the documented minimum`).to.equal(true);
      expect(accepts(name, String(max)), `${name}=${max}, the documented maximum`).to.equal(true);
      expect(accepts(name, String(min - 1)), `${name}=${min - 1}, below the documented minimum`).to.equal(false);
      expect(accepts(name, String(max + 1)), `${name}=${max + 1}, above the documented maximum`).to.equal(false);
    });
  }

  for (const name of schemaVariables.filter((variable) => validator(variable).choices)) {
    it(`lists in docs/configuration.md exactly the choices the schema allows for ${name}`, () => {
      const choices = (documentedRules().get(name) ?? '').split(';')[0] ?? '';
      const documented = choices.split(/,\s*/).map((choice) => choice.trim());

      expect(documented).to.have.members([...(validator(name).choices ?? [])]);
    });
  }
  it('finds the orderings between variables docs/configuration.md states (the ordering test below is not vacuous)', () => {
    expect(documentedOrderings.map(({ name }) => name)).to.include.members(['DB_POOL_ACQUIRE_MS', 'REQUEST_DEADLINE_MS']);
  });

  for (const { name, operator, other } of documentedOrderings) {
    it(`enforces the documented rule ${name} ${operator} ${other}: a value just across it is refused naming both, one just inside is not`, () => {
      const bound = Number(validator(other).default);
      const [across, inside] = { '<': [bound, bound - 1], '>': [bound, bound + 1], '≥': [bound - 1, bound] }[operator];

      const problems = configProblems({ [name]: String(across) });
      expect(problems, `${name}=${across} with ${other}=${bound}`).to.have.length(1);
      expect(problems[0]).to.include(name).and.to.include(other);
      expect(configProblems({ [name]: String(inside) }), `${name}=${inside} with ${other}=${bound}`).to.deep.equal([]);
    });
  }
});
