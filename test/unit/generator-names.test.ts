import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { controllerSource, modelSource, schemasSource, viewSource } from '../../lib/keel/generator/files';
import { withModel } from '../../lib/keel/generator/registry';
import {
  CLASS_NAMES_IN_USE,
  parseArguments,
  resourceNames,
  UsageError,
  VARIABLE_NAMES_IN_SCOPE,
  type Resources,
  type ResourceSpec,
} from '../../lib/keel/generator/spec';
import { projectRoot } from '../../config/project';

/** An identifier that names a property (obj.name, { name: … }, a class member), not a binding in scope. */
function isPropertyName(node: ts.Identifier): boolean {
  const parent = node.parent;
  return (
    ((ts.isPropertyAccessExpression(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent)) &&
      parent.name === node) ||
    (ts.isQualifiedName(parent) && parent.right === node) ||
    ((ts.isBindingElement(parent) || ts.isImportSpecifier(parent)) && parent.propertyName === node)
  );
}

/** The variable declaration that binds this name (const x = … or const { x } = …), if it binds one. */
function bindingDeclaration(node: ts.Identifier): ts.VariableDeclaration | undefined {
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && parent.name === node) return parent;
  if (ts.isBindingElement(parent) && parent.name === node && ts.isVariableDeclaration(parent.parent.parent)) return parent.parent.parent;
  return undefined;
}

/** A const declared inside an arrow function: a handler's own local, in a scope no other handler sees. */
function isHandlerLocal(node: ts.Identifier): boolean {
  for (let scope: ts.Node | undefined = bindingDeclaration(node)?.parent; scope; scope = scope.parent) {
    if (ts.isArrowFunction(scope)) return true;
    if (ts.isFunctionDeclaration(scope) || ts.isSourceFile(scope)) return false;
  }
  return false;
}

/** The identifiers a file binds or refers to (not property names): all of them, and those in handlers' own scopes. */
function namesOf(source: string): { all: Set<string>; handlerLocals: Set<string> } {
  const file = ts.createSourceFile('generated.ts', source, ts.ScriptTarget.Latest, true);
  const all = new Set<string>();
  const handlerLocals = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && !isPropertyName(node)) {
      all.add(node.text);
      if (isHandlerLocal(node)) handlerLocals.add(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { all, handlerLocals };
}

/**
 * Names made from the resource's own (Gizmo, gizmoBody, GIZMO_OPERATIONS, listGizmos), or from a parent's it refers
 * to (Owner, OwnerParams, OWNER_GIZMO_OPERATIONS): theirs, whatever their case.
 */
const ownName = (spec: ResourceSpec, name: string): boolean =>
  [spec.variable, ...spec.fields.flatMap((field) => (field.reference ? [field.reference.parent.variable] : []))].some((own) =>
    name.toLowerCase().includes(own.toLowerCase()),
  );

const notOwn = (spec: ResourceSpec, names: Iterable<string>): string[] => [...names].filter((name) => !ownName(spec, name)).sort();

/** The models a project has generated already, as app/models/index.ts imports them (from ./stock-item): its own, not keel's. */
function generatedModels(modelsIndex: string): Set<string> {
  const file = ts.createSourceFile('index.ts', modelsIndex, ts.ScriptTarget.Latest, true);
  const names = file.statements.flatMap((statement) => {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) return [];
    const bindings = statement.importClause?.namedBindings;
    if (!statement.moduleSpecifier.text.startsWith('./') || !bindings || !ts.isNamedImports(bindings)) return [];
    return bindings.elements.map((element) => element.name.text);
  });
  return new Set(names);
}

describe('npm run generate:resource: names the generated code already uses', () => {
  const modelsIndex = fs.readFileSync(path.join(projectRoot(), 'app', 'models', 'index.ts'), 'utf8');
  // In a project with resources of its own, their models are listed too: a clash with one is a file that exists.
  const otherModels = generatedModels(modelsIndex);
  // Every field type, optional and unique, with and without --tenant: all the code the templates can write.
  const fields = [
    'a:string:unique',
    'b:text:optional',
    'c:integer',
    'd:bigint',
    'e:decimal',
    'f:boolean',
    'g:uuid',
    'h:date:optional',
    'i:timestamp',
    'owner:references',
  ];
  for (const tenant of [false, true]) {
    // A parent as the project would have it, of the same tenancy as the resource refers to it.
    const owners: Resources = { find: () => ({ ...resourceNames('owners', 'owner'), tenant, needs: [] }) };
    const spec = parseArguments(['gizmos', ...fields, ...(tenant ? ['--tenant'] : [])], owners);

    it(`lists every name the class shares a scope with${tenant ? ' (--tenant)' : ''}: imports, globals, and the models list`, () => {
      const sources = [modelSource(spec), schemasSource(spec), controllerSource(spec), viewSource(spec), withModel(modelsIndex, spec)];
      // A class name is PascalCase: only such names can be the same.
      const used = notOwn(spec, new Set(sources.flatMap((source) => [...namesOf(source).all]))).filter(
        (name) => /^[A-Z]/.test(name) && !otherModels.has(name),
      );

      expect(
        used.filter((name) => !CLASS_NAMES_IN_USE.has(name)),
        'missing from CLASS_NAMES_IN_USE',
      ).to.deep.equal([]);
    });

    it(`lists every name the variable shares a scope with${tenant ? ' (--tenant)' : ''}: the controller's and the view's, not other handlers' locals`, () => {
      const inScope = [controllerSource(spec), viewSource(spec)].flatMap((source) => {
        const { all, handlerLocals } = namesOf(source);
        return [...all].filter((name) => !handlerLocals.has(name));
      });
      const used = notOwn(spec, new Set(inScope)).filter((name) => /^[a-z]/.test(name));

      expect(
        used.filter((name) => !VARIABLE_NAMES_IN_SCOPE.has(name)),
        'missing from VARIABLE_NAMES_IN_SCOPE',
      ).to.deep.equal([]);
    });
  }

  const refused: ReadonlyArray<readonly [string, string]> = [
    ['routers', 'Router'],
    ['dates', 'Date'],
    ['promises', 'Promise'],
    ['objects', 'Object'],
    ['records', 'Record'],
    ['not_found_errors', 'NotFoundError'],
    ['model_statics', 'ModelStatic'],
    ['unit_of_works', 'unitOfWork'],
  ];
  for (const [plural, name] of refused) {
    it(`refuses ${plural}, whose ${name} is a name the generated code already uses`, () => {
      expect(() => parseArguments([plural, 'name:string']))
        .to.throw(UsageError)
        .with.property('message')
        .that.includes(`${name} is a name the generated code already uses`);
    });
  }

  it("takes names that only sound like keel's own (pages, events, files, requests, responses)", () => {
    for (const plural of ['pages', 'events', 'files', 'requests', 'responses']) {
      expect(() => parseArguments([plural, 'name:string']), plural).not.to.throw();
    }
  });
});
