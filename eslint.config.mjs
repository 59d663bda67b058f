// Lint rules that protect what tests cannot easily see: floating promises, and workflow code
// that must stay deterministic (no Node built-ins, no database client, no I/O).
import tseslint from 'typescript-eslint';

/** One `no-restricted-imports` setting from several pattern groups. */
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
/** A relative import that reaches one of these top-level folders. */
const folders = (names) => `^(\\.\\./)+(${names.join('|')})(/|$)`;
const layer = (names, who) => ({
  regex: folders(names),
  message: `${who} is below ${names.join(', ')}: it must not import them.`,
});
const NO_DEV = {
  regex: folders(['dev']),
  message: 'dev/ is development and test infrastructure: only scripts/, tests/ and bench/ import it.',
};
const NO_APP = {
  regex: folders(['app']),
  message:
    'app/ is the composition root: only the process entries (api/server.ts, worker/main.ts, scripts/) import it.',
};
const DOMAIN_ONLY = { regex: '^\\.\\./', message: 'domain/ is pure: it imports nothing of the project but domain/.' };
const NO_CLIENT = {
  regex: '^@temporalio/client$|^\\.\\.?/(\\.\\./)*client(/|$)',
  message: 'Client code (workflows/client/) must not be reachable from the workflow bundle.',
};
const NO_TIMERS = {
  'no-restricted-globals': [
    'error',
    { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
    { name: 'setInterval', message: 'Use sleep() in a loop.' },
  ],
};
const DETERMINISTIC = [
  {
    group: ['node:*', 'fs', 'path', 'crypto', 'child_process', 'http', 'https', 'net', 'os'],
    message: 'Node built-ins are not deterministic: not in workflow or domain code.',
  },
  {
    group: ['**/generated/prisma/**', '@prisma/*', 'pg', '**/lib/db', '**/lib/*'],
    message: 'No database or I/O adapters in workflow or domain code: use an activity.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'generated/**', '.tools/**', '.data/**', 'bench-results/**', 'test-artifacts/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  // Layers, lowest first: domain/ → lib/ → workflows/ (its client side in workflows/client/) and
  // activities/ → api/, worker/ → app/ (the composition root) → the process entries. dev/ (embedded
  // PostgreSQL, dev server, SMTP sink, demo data) is for scripts/, tests/ and bench/ only. Each
  // file gets one `no-restricted-imports` (a later block replaces an earlier one), so every block
  // below lists all of its folder's restrictions.
  { files: ['**/*.ts'], ignores: ['scripts/**', 'tests/**', 'bench/**', 'dev/**'], rules: restrict(NO_DEV) },
  { files: ['domain/**/*.ts'], rules: { ...restrict(...DETERMINISTIC, DOMAIN_ONLY), ...NO_TIMERS } },
  {
    files: ['lib/**/*.ts'],
    rules: restrict(NO_DEV, NO_APP, layer(['api', 'worker', 'workflows', 'activities'], 'lib/')),
  },
  {
    // Workflow code and the domain logic it runs are replayed: deterministic modules only. The
    // worker bundles workflows/index.ts; the client side must stay out of that bundle.
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/client/**'],
    rules: {
      ...restrict(...DETERMINISTIC, NO_DEV, NO_APP, NO_CLIENT, layer(['api', 'worker'], 'workflow code')),
      ...NO_TIMERS,
    },
  },
  {
    files: ['workflows/client/**/*.ts'],
    rules: restrict(NO_DEV, NO_APP, layer(['api', 'worker'], 'the Temporal client side')),
  },
  { files: ['activities/**/*.ts'], rules: restrict(NO_DEV, NO_APP, layer(['api', 'worker'], 'activities/')) },
  {
    files: ['api/**/*.ts', 'worker/**/*.ts'],
    ignores: ['api/server.ts', 'worker/main.ts'],
    rules: restrict(NO_DEV, NO_APP),
  },
);
