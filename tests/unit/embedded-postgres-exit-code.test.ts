import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

// A process that loads the embedded Postgres must still end with its own exit code: vitest sets
// exitCode 1 on a failed run and lets the process end, and CI reads that code.
it('a process that loads dev/embedded-postgres keeps its exit code', () => {
  const script = "await import('./dev/embedded-postgres.ts'); process.exitCode = 3;";
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8', timeout: 30_000 });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(3);
});
