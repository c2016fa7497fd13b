import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const KAFKA_CLIENT = { name: '@platformatic/kafka', message: 'Reach Kafka through src/kafka/.' };
const DEEP_IMPORT = {
  group: ['@platformatic/kafka/*', '@platformatic/wasm-utils/*', 'kafkajs', 'kafkajs/*'],
  message: "Import a package's root only: its internal paths are not its API.",
};

export default tseslint.config(
  { ignores: ['dist/', 'lib/', 'node_modules/', '.lab/', 'coverage/', 'schema/', 'transcripts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // CommonJS helpers (a --require preload in tests) use require and module.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Only src/cli.ts may end the process; everything else throws FailoverError.
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'Throw FailoverError; only src/cli.ts exits.' }],
    },
  },
  {
    files: ['src/cli.ts', 'bin/**', 'scripts/**', 'bench/**', 'test/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // A package is used through what it exports: a deep import reaches its internals, which any release may change.
    files: ['src/**', 'test/**', 'bench/**', 'scripts/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [DEEP_IMPORT] }],
    },
  },
  {
    // The dependency rule of DESIGN.md: gates and steps return data; they never render.
    files: ['src/gates/**', 'src/steps/**', 'src/engine/**', 'src/kafka/**', 'src/runbook/**', 'src/transcript/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        DEEP_IMPORT,
        { group: ['**/commands/**', '**/ui/**'], message: 'Return data; let the command render it.' },
      ] }],
    },
  },
  {
    // Kafka is reached only through src/kafka/.
    files: ['src/**'],
    ignores: ['src/kafka/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [KAFKA_CLIENT], patterns: [
        DEEP_IMPORT,
        { group: ['**/commands/**', '**/ui/**'], message: 'Return data; let the command render it.' },
      ] }],
    },
  },
  {
    files: ['src/commands/**', 'src/cli.ts', 'src/ui/**', 'src/lab/**', 'src/drill/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [KAFKA_CLIENT], patterns: [DEEP_IMPORT] }],
    },
  },
);
