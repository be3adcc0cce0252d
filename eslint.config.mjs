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
    // A schema is a declaration a generator copies and a client could share: zod and other schemas only.
    files: ['app/schemas/**', 'test/support/example/schemas/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', '../../*', '!../schemas', '!../schemas/*', '**/app/**', '**/db/**', '**/config/**'],
              message: 'a schema imports zod and other schemas only',
            },
          ],
        },
      ],
    },
  },
  {
    // The bench runs keel as a separate process (dist/bin/www.js): it never imports the app or bin.
    files: ['bench/**'],
    rules: boundary('bench may import config and db, never app or bin', ['**/app/**', '**/bin/**', '../app', '../bin']),
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
