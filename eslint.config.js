// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.stack/**', 'coverage/**', '**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Only config modules read process.env (see docs: one validated config per worker).',
        },
      ],
    },
  },
  {
    files: [
      '**/config.ts',
      // The Kafka security settings every client reads (a config module under another name).
      'platform/src/kafka-security.ts',
      'platform/src/connect-auth.ts',
      '**/*.test.ts',
      '**/test/**',
      'test-support/**',
      'vitest.config.ts',
      'cli/bin/**',
      'bench/**',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
