import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const DOMAIN = ['mkosi', 'boot', 'repro', 'cache', 'publish', 'process'];

// No core file reaches GitHub or an adapter: they reach it through the ports.
const CORE_RESTRICTIONS = [
  { group: ['@actions/*'], message: 'The core stays pure of GitHub: go through a port.' },
  {
    group: ['../github/*', '../cli/*', './github/*', './cli/*'],
    message: 'The core does not import an adapter: adapters import the core.',
  },
];

const ENV_RESTRICTION = {
  object: 'process',
  property: 'env',
  message: 'Stages get their environment from the context.',
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-projects/', 'test/fixtures/', 'reports/', '.stryker-tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The floor plan of shared/DESIGN.md: adapters -> report -> pipeline -> domain -> vocabulary.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    files: ['src/pipeline/**', 'src/report/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...CORE_RESTRICTIONS] }],
      'no-restricted-properties': ['error', ENV_RESTRICTION],
    },
  },
  {
    files: DOMAIN.map((folder) => `src/${folder}/**`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...CORE_RESTRICTIONS,
            {
              group: ['../pipeline/*', '../report/*'],
              message: 'Domain code does not import the stages or the reports: they import it.',
            },
          ],
        },
      ],
      'no-restricted-properties': ['error', ENV_RESTRICTION],
    },
  },
  {
    files: ['src/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...CORE_RESTRICTIONS,
            { group: ['./*/*'], message: 'The shared vocabulary imports nothing above it.' },
          ],
        },
      ],
      'no-restricted-properties': ['error', ENV_RESTRICTION],
    },
  },
);
