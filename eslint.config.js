import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.bench/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // Layers: a backend is used through its index (and backend.ts); configuration sits below the CLI.
    files: ['src/**/*.ts'],
    ignores: ['src/backends/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          group: ['**/backends/*/*', '!**/backends/*/index.js'],
          message: 'Use the backend through its index.js (add an export there), not its internals.',
        }],
      }],
    },
  },
  {
    files: ['src/config/**/*.ts', 'src/support/**/*.ts', 'src/pipeline/**/*.ts', 'src/image/**/*.ts', 'src/pages/**/*.ts', 'src/cache/**/*.ts', 'src/emit/**/*.ts', 'src/models/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/cli/*'], message: 'Lower layers never import the CLI: move what they share below it (config/, support/).' },
          { group: ['**/backends/*/*', '!**/backends/*/index.js'], message: 'Use the backend through its index.js (add an export there), not its internals.' },
        ],
      }],
    },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
