// The architecture, checked on every commit (npm run lint): no import cycles, and no layer imports a
// layer above it. Lowest first:
//
//   workflows/model  sandbox-safe model (alert, incident, audit events, durations, conditions, templates)
//   common           errors, logger, YAML with lines
//   activities       actions, each defined beside its code; notifications, approvals, audit writes
//   workflows        the interpreter (sandbox): imports activities only as types
//   playbooks        the playbook language, compiler and library
//   temporal         the incident gateway, connections, the embedded dev server
//   triggers         webhook auth, adapters, routing, intake, log triggers
//   storage          PostgreSQL / PGlite stores; implements the ports activities and triggers declare
//   mail             SMTP transport, the demo mailbox
//   server           the HTTP server: contracts, routes, pages, reports, access
//   worker           the Temporal worker
//   config           reflex.yaml: one schema composed of the layers' own, cross-field checks
//   startup          the composition root
//   cli              the `reflex` command
//
// bench/, cluster/ (the one-machine cluster topology) and test/ sit outside the layers; production code
// never imports them.
const LAYERS = [
  'workflows/model',
  'common',
  'activities',
  'workflows',
  'playbooks',
  'temporal',
  'triggers',
  'storage',
  'mail',
  'server',
  'worker',
  'config',
  'startup',
  'cli',
];

/** The path pattern of a layer (workflows/ without its model). */
const of = (layer) => (layer === 'workflows' ? '^workflows/(?!model/)' : `^${layer}/`);

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-from-${layer.replace('/', '-')}`,
  comment: `${layer} may not import a layer above it (${LAYERS.slice(i + 1).join(', ')})`,
  severity: 'error',
  from: { path: of(layer) },
  to: { path: LAYERS.slice(i + 1).map(of) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import loop: two modules that each need the other are one idea, or a missing layer.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'workflows-import-activities-only-as-types',
      comment: 'Workflow code runs in the sandbox: activities are named by type, never loaded.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-tests-or-benchmarks-in-production',
      severity: 'error',
      from: { pathNot: '^(test|bench|cluster)/' },
      to: { path: '^(test|bench|cluster)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|\\.bench-build|\\.tools|data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
