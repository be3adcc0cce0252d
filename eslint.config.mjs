// @ts-check
import js from '@eslint/js';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// The folder rules (docs/architecture.md#rooms-and-their-doors): config <- lib/keel <- app <- bin.
// A wrong import fails lint.
const boundary = (message, ...groups) => ({
  'no-restricted-imports': ['error', { patterns: groups.map((group) => ({ group, message })) }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        console: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // No import cycles anywhere: a module's imports form a tree a reader can follow down. Type-only
    // imports are erased at compile time and are not counted.
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['**/*.js', '.sequelizerc'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // public/: what a browser runs as keel serves it (the /docs page's start): browser globals, no imports, no build.
    files: ['public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { document: 'readonly', SwaggerUIBundle: 'readonly' } },
  },
  {
    // The folder rules, as zones: a module in target may not import one in from (except the paths listed,
    // relative to from). One rule holds them all, so no block of files can override another's, and
    // require() is checked too (migrations and seeders are CommonJS).
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          zones: [
            { target: './config', from: ['./app', './bin', './db', './lib'], message: 'config imports nothing of ours' },
            {
              target: ['./db/migrations', './db/seeders'],
              from: ['./app', './bin', './config', './lib'],
              message: 'a migration or seeder imports nothing of ours: it must do tomorrow what it did today',
            },
            { target: './lib', from: ['./app', './bin'], message: 'keel (lib/keel) never imports the product (app) or bin' },
            {
              target: './lib/keel',
              from: ['./lib/keel/http/index.ts', './lib/keel/models/index.ts'],
              message: "inside lib/keel, import the module itself: a room's door (index.ts) is for the product and bin",
            },
            { target: './lib/keel/db', from: './lib/keel', except: ['./db'], message: 'the data layer (lib/keel/db) imports config only' },
            {
              // A schema is a declaration a client could share: zod, other schemas, the problem contract
              // (lib/keel/schemas/problems.ts) and the database fault codes it reads (lib/keel/db/faults.ts).
              target: './lib/keel/schemas',
              from: './lib/keel',
              except: ['./schemas', './db/faults.ts'],
              message: 'lib/keel/schemas imports zod, itself and lib/keel/db/faults.ts only',
            },
            {
              target: './lib/keel/schemas',
              from: './config',
              message: 'lib/keel/schemas imports zod, itself and lib/keel/db/faults.ts only',
            },
            { target: './app', from: ['./bin', './db'], message: 'app imports config and lib/keel, never bin or db' },
            ...[
              ['./app/schemas', './app'],
              ['./test/support/example/app/schemas', './test/support/example/app'],
            ].flatMap(([target, product]) => [
              { target, from: product, except: ['./schemas'], message: 'a schema imports zod, other schemas and lib/keel/schemas only' },
              {
                target,
                from: './lib',
                except: ['./keel/schemas'],
                message: 'a schema imports zod, other schemas and lib/keel/schemas only',
              },
              { target, from: ['./config', './bin', './db'], message: 'a schema imports zod, other schemas and lib/keel/schemas only' },
            ]),
          ],
        },
      ],
    },
  },
  {
    // The bench runs keel as a separate process (dist/bin/www.js): it never imports the app or bin. It uses
    // the suite's own helpers for processes, databases and the PostgreSQL wire rather than copies of them:
    // only the test/support modules listed here, which the next block keeps free of app, bin and test hooks.
    files: ['bench/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/app/**', '**/bin/**', '../app', '../bin'], message: 'bench may import config and lib/keel, never app or bin' },
            {
              group: [
                '../test/*',
                '../test/**',
                '!../test/support',
                '!../test/support/node-process',
                '!../test/support/database',
                '!../test/support/fault-proxy',
                '!../test/support/identity-provider',
                '!../test/support/pg-wire',
                '!../test/support/otlp-receiver',
              ],
              message: 'bench may import only the test/support modules shared with it (eslint.config.mjs)',
            },
          ],
        },
      ],
    },
  },
  {
    // The test/support modules the bench imports: they must not bring the app, bin or the suite's hooks with them.
    files: [
      'test/support/node-process.ts',
      'test/support/database.ts',
      'test/support/fault-proxy.ts',
      'test/support/identity-provider.ts',
      'test/support/pg-wire.ts',
      'test/support/otlp-receiver.ts',
    ],
    rules: boundary('shared with the bench: may import config, db and pg-wire only', [
      '**/app/**',
      '**/bin/**',
      '../../app',
      '../../bin',
      './*',
      '!./pg-wire',
    ]),
  },
  {
    // OpenTelemetry lives in one room, which bin requires only when tracing is on: anywhere else an import
    // would load it with tracing off too (docs/operations.md#traces).
    files: ['app/**', 'lib/**', 'bin/**', 'config/**'],
    ignores: ['lib/keel/tracing/**'],
    rules: boundary('OpenTelemetry is imported in lib/keel/tracing only (loaded by bin/tracing.ts when tracing is on)', [
      '@opentelemetry/*',
    ]),
  },
  {
    // Only bin and config read the environment or install process-wide handlers.
    files: ['app/**', 'lib/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read configuration from the config object' },
        { object: 'process', property: 'on', message: 'only bin installs process handlers' },
      ],
    },
  },
);
