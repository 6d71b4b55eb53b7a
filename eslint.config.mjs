// Lint rules for the TypeScript of the Lab extension: ESLint's and typescript-eslint's
// recommended sets, with formatting left to prettier.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['lib/', 'node_modules/', 'jupyter_experiments/labextension/', '.venv/']
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['labextension/src/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      'no-console': 'error',
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  {
    files: ['labextension/test/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } }
  },
  {
    files: ['labextension/style/*.js'],
    languageOptions: { sourceType: 'module' }
  }
);
