import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    // The dependency rule of DESIGN.md: gates and steps return data; they never render.
    files: ['src/gates/**', 'src/steps/**', 'src/engine/**', 'src/kafka/**', 'src/runbook/**', 'src/transcript/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/commands/**', '**/ui/**'], message: 'Return data; let the command render it.' },
      ] }],
    },
  },
  {
    // Kafka is reached only through src/kafka/.
    files: ['src/**'],
    ignores: ['src/kafka/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'kafkajs', message: 'Reach Kafka through src/kafka/.' }], patterns: [
        { group: ['**/commands/**', '**/ui/**'], message: 'Return data; let the command render it.' },
      ] }],
    },
  },
  {
    files: ['src/commands/**', 'src/cli.ts', 'src/ui/**', 'src/lab/**', 'src/drill/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'kafkajs', message: 'Reach Kafka through src/kafka/.' }] }],
    },
  },
);
