/**
 * Boundaries `npm test` enforces (house style 2 and 9): pure domain files do no I/O, and there are no
 * import cycles. A domain file is src/features/<feature>/<noun>.ts: not a -service, -store, -routes or -cli
 * file, and not a test.
 */
const DOMAIN = '^src/features/[^/]+/(?![^/]*-(service|store|routes|cli|loader|worker|executor)\\.ts$)(?![^/]*\\.test\\.ts$)[^/]+\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'domain-does-no-io',
      comment: 'Domain files hold rules only: no database, network, file system, processes or clock of their own.',
      severity: 'error',
      from: { path: DOMAIN },
      to: {
        path: [
          '^node:(fs|fs/promises|http|https|net|child_process|worker_threads|dgram|dns|tls|os|cluster)$',
          '^(fs|http|https|net|child_process|os)$',
          'node_modules/(kysely|better-sqlite3|pg|fastify|@fastify|pino|commander|@commander-js)/',
          '^src/platform/(db|http|container)',
          '^src/cli/',
          '-(store|service|routes|cli)\\.ts$',
        ],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'platform-below-features',
      comment: 'platform/ is infrastructure; only its wiring points (container, http server) may know the features.',
      severity: 'error',
      from: { path: '^src/platform/', pathNot: ['^src/platform/(container|container-core|http/server)\\.ts$', '\\.test\\.ts$'] },
      to: { path: '^src/features/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
