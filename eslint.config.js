import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-projects/', 'test/fixtures/', '.stryker-tmp/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // The design forbids stages from reaching GitHub or the environment directly.
      'no-restricted-imports': 'off',
    },
  },
  {
    files: [
      'src/pipeline/**',
      'src/mkosi/**',
      'src/report/**',
      'src/boot/**',
      'src/repro/**',
      'src/publish/**',
      'src/cache/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@actions/*'], message: 'Stages stay pure of GitHub: go through a port.' }] },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Stages get their environment from the context.' },
      ],
    },
  },
);
