// The layer table of DESIGN §2, enforced: each rule names a folder and what it may not reach.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'shared-is-pure',
      comment: 'src/shared holds the contract and domain rules: nothing of ours but shared, and of npm only zod.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: {
        pathNot: ['^src/shared/', '(^|/)node_modules/zod/'],
      },
    },
    {
      name: 'shared-no-node-io',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'sync-imports-only-shared',
      severity: 'error',
      from: { path: '^src/sync/' },
      to: { path: '^src/(main|renderer|preload)/' },
    },
    {
      name: 'main-not-renderer-or-preload',
      severity: 'error',
      from: { path: '^src/main/' },
      to: { path: '^src/(renderer|preload)/' },
    },
    {
      name: 'core-not-electron-glue',
      comment: 'Only src/main/electron may reach the Electron glue; the station core runs under plain Node.',
      severity: 'error',
      from: { path: '^src/main/', pathNot: '^src/main/electron/' },
      to: { path: '^src/main/electron/' },
    },
    {
      name: 'electron-only-in-glue',
      severity: 'error',
      from: { pathNot: '^src/(main/electron|preload)/' },
      to: { path: '(^|/)node_modules/electron/' },
    },
    {
      name: 'preload-imports-only-shared',
      severity: 'error',
      from: { path: '^src/preload/' },
      to: { path: '^src/(main|sync|renderer)/' },
    },
    {
      name: 'renderer-talks-only-to-contract',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { path: '^src/(main|sync|preload)/' },
    },
    {
      name: 'renderer-no-node',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'seeds-not-hosts',
      severity: 'error',
      from: { path: '^seeds/' },
      to: { path: '^src/(renderer|preload|main/electron)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
