// Type-aware lint: floating promises and misused promises are bugs in an ingest path.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.ohc/**', 'coverage/**', 'bench/results/**', 'docs/**'] },
  // The browser script of the web application: plain JavaScript run by the page, not by Node.
  { files: ['src/web/public/**/*.js'], languageOptions: { globals: { document: 'readonly', window: 'readonly', HTMLScriptElement: 'readonly', setInterval: 'readonly', fetch: 'readonly', URLSearchParams: 'readonly', FormData: 'readonly' } } },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'src/web/public/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Async methods that implement an interface need not await anything.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
