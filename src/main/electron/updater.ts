/*
 * Updates come from the clinic's update server (electron-builder.yml `publish`), and only to an
 * installed app: a development run has no signed release to compare itself with.
 */

/** electron-updater's autoUpdater, as far as we use it. */
export interface UpdaterLike {
  checkForUpdatesAndNotify(): Promise<unknown>;
}

export const UPDATE_CHECK_INTERVAL_MS = 4 * 60 * 60 * 1000;

/**
 * Checks now and then every few hours. `updater` is a getter because electron-updater builds its
 * platform updater on first access, which a development run should never do.
 * Returns a function that stops the checks, or null when updates are off.
 */
export function startUpdater(
  app: { readonly isPackaged: boolean },
  updater: () => UpdaterLike,
  log: (line: string) => void,
  intervalMs = UPDATE_CHECK_INTERVAL_MS,
): (() => void) | null {
  if (!app.isPackaged) {
    log('Not an installed app: automatic updates are off.');
    return null;
  }
  const instance = updater();
  const check = () => {
    instance.checkForUpdatesAndNotify().catch((error: unknown) => {
      // A clinic with no internet for a day must not see errors; the next check tries again.
      log(`Update check failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  };
  check();
  const timer = setInterval(check, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
