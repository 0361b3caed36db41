// @ts-check
// Lint for the whole tree: typescript-eslint's strict and stylistic type-checked sets, over the
// same tsconfig the build uses (projectService). Formatting is prettier's job (.prettierrc.json).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'load-tests/results/', '.regcloud/']),
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Counts, ports and milliseconds in messages and table cells print as they should.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // The house style: T[] for simple element types, Array<…> for object and union types.
      '@typescript-eslint/array-type': ['error', { default: 'array-simple' }],
      // Arrow shorthand for void callbacks (`() => resolve()`, `(line) => console.log(line)`) is the house style; other void uses still fail.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Express tells error middleware by its four parameters: the unused ones are named _req, _next.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Contradicts no-non-null-assertion (strict), which stays: the code narrows reads it has already checked with `as T`, never `!`.
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
    },
  },
  {
    files: ['**/*.mjs'],
    extends: [js.configs.recommended],
  },
  {
    // The staff console's scripts run in the browser (no build step, served as they are).
    files: ['services/admin/src/console/assets/**/*.mjs'],
    languageOptions: { globals: globals.browser },
  },
);
