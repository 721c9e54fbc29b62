// ESLint flat config. Two jobs beyond the usual: every promise is awaited or handled
// (no-floating-promises), and the workflow sandbox keeps a visible border.
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
// I/O libraries that must never be imported by workflow code: Temporal replays workflows,
// so anything non-deterministic belongs in an activity.
const ioLibraries = [
  'pino',
  'nodemailer',
  'express',
  'pg',
  'yaml',
  'smtp-server',
  'mailparser',
  'standardwebhooks',
  '@electric-sql/pglite',
  '@microsoft/microsoft-graph-client',
  '@azure/identity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

// Every top-level folder of Node-side code: workflows import them only as types.
const OUTSIDE_THE_SANDBOX = [
  'activities',
  'triggers',
  'playbooks',
  'common',
  'temporal',
  'storage',
  'mail',
  'server',
  'worker',
  'config',
  'startup',
  'cli',
];

// Module-scope state in workflow code: variables that can be reassigned, objects constructed at module
// scope (collections, caches), empty arrays to be filled, and static class fields.
const MODULE_STATE = [
  ':matches(Program, Program > ExportNamedDeclaration) > VariableDeclaration[kind!="const"]',
  ':matches(Program, Program > ExportNamedDeclaration) > VariableDeclaration > VariableDeclarator > NewExpression',
  ':matches(Program, Program > ExportNamedDeclaration) > VariableDeclaration > VariableDeclarator > ArrayExpression[elements.length=0]',
  'PropertyDefinition[static=true]',
];

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', '.bench-build/', '.tools/', 'data/', 'coverage/', 'test-artifacts/'],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      // The worker evaluates workflows/ once and every incident shares its modules (worker/bundle.ts,
      // preloadModules): state kept at module scope would pass from one incident to another. Module
      // scope holds constants; a cache that is a pure function of playbook text says so where it is.
      'no-restricted-syntax': [
        'error',
        ...MODULE_STATE.map((selector) => ({
          selector,
          message:
            'Workflow modules are shared by every incident on a worker: keep state on the incident, not at module scope.',
        })),
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, ...ioLibraries].map((name) => ({
            name,
            message: 'Workflow code runs in the deterministic sandbox: do I/O in an activity.',
            allowTypeImports: true,
          })),
          patterns: [
            {
              group: OUTSIDE_THE_SANDBOX.flatMap((d) => [
                `../${d}`,
                `../${d}/*`,
                `../../${d}`,
                `../../${d}/*`,
              ]),
              allowTypeImports: true,
              message: 'Workflows import other layers only as types.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { ...globals.node } },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
);
