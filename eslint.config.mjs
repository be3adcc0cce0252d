// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The folder rules (docs/architecture.md#folders-and-their-rules): config <- db <- app <- bin.
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
    files: ['**/*.js', '.sequelizerc'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // public/: what a browser runs as keel serves it (the /docs page's start): browser globals, no imports, no build.
    files: ['public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { document: 'readonly', SwaggerUIBundle: 'readonly' } },
  },
  {
    files: ['config/**'],
    rules: boundary('config imports nothing of ours', ['**/app/**', '**/db/**', '**/bin/**', '../app', '../db', '../bin']),
  },
  {
    files: ['db/**'],
    rules: boundary('db may import config only', ['**/app/**', '**/bin/**', '../app', '../bin', '../../app', '../../bin']),
  },
  { files: ['db/migrations/**', 'db/seeders/**'], rules: boundary('a migration imports nothing of ours', ['../*', '../../*']) },
  { files: ['app/**'], rules: boundary('app may import config and db, never bin', ['**/bin/**', '../bin', '../../bin']) },
  {
    // A schema is a declaration a generator copies and a client could share: zod, other schemas, and the
    // problem codes (app/problems.ts and the db/faults.ts it reads: plain data that imports nothing else).
    files: ['app/schemas/**', 'test/support/example/schemas/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../*',
                '../../*',
                '!../schemas',
                '!../schemas/*',
                '**/app/**',
                '**/db/**',
                '**/config/**',
                '!../problems',
                '!../../db/faults',
              ],
              message: 'a schema imports zod, other schemas and the problem codes only',
            },
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
            { group: ['**/app/**', '**/bin/**', '../app', '../bin'], message: 'bench may import config and db, never app or bin' },
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
    // Only bin and config read the environment or install process-wide handlers.
    files: ['app/**', 'db/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read configuration from the config object' },
        { object: 'process', property: 'on', message: 'only bin installs process handlers' },
      ],
    },
  },
);
