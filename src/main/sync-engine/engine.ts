import type { LiveMessage } from '../../shared/central-contract';
import type { EventName, EventPayload, SyncStatus } from '../../shared/contract';
import { Backoff } from '../../sync/backoff';
import { CentralError, classifyFailure, type Central } from '../../sync/central';
import { LiveChannel } from '../../sync/live';
import { Puller } from '../../sync/pull';
import { Pusher, type PushOutcome } from '../../sync/push';
import type { SyncedTable } from '../../sync/tables';
import { emptySummary, type AppliedSummary, type Cache } from '../cache/cache';
import { apiErrorFromCentral } from '../central-errors';
import { CLINIC_SETTINGS_META } from '../clinic/settings';

export interface SyncEngineOptions {
  central: Central;
  cache: Cache;
  tables: readonly SyncedTable[];
  /** The signed-in session's token: the centre shows a station nothing without one (row-level security). */
  sessionToken: () => string | null;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  now: () => Date;
  pollIntervalMs?: number;
  verifyIntervalMs?: number;
  initialPageSize?: number;
}

/** How long sign-in waits for a first load before letting the person in with a progress bar. */
const FIRST_LOAD_WAIT_MS = 5000;

/**
 * The station's sync state machine: push the outbox, then pull the feed; retry with capped backoff
 * while the centre is unreachable; pause while the centre speaks another protocol; compare
 * partitions now and then. Concurrent requests fold into the run in progress plus one more.
 */
export class SyncEngine {
  private readonly pusher: Pusher;
  private puller: Puller | null = null;
  private live: LiveChannel | null = null;
  /** Set by a failure to reach the centre, cleared by the next success; unknown (false) until the first attempt. */
  private knownOffline = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly retryBackoff = new Backoff({ baseMs: 500, maxMs: 30_000 });
  private syncRun: Promise<void> | null = null;
  private syncAgain = false;
  private stopped = false;
  private status: SyncStatus = { online: false, pending: 0, lastSyncedAt: null, lastError: null, initialSync: null, attention: 0 };
  /** Set once the centre has shown it speaks a sync protocol this app understands. */
  private compatible = false;
  private lastVerifiedAt = 0;
  private settingsFetchedAt = 0;

  constructor(private readonly options: SyncEngineOptions) {
    this.pusher = new Pusher(options.central, options.cache);
    this.status.pending = options.cache.pendingCount();
  }

  private get pollIntervalMs(): number {
    return this.options.pollIntervalMs ?? 5000;
  }

  start(): Promise<void> {
    const { central, cache, now } = this.options;
    this.puller = new Puller(central, this.options.tables, cache, this.options.sessionToken, {
      pageSize: this.options.initialPageSize,
      now,
      onProgress: ({ loaded, total }) => this.setStatus({ initialSync: { loaded, total } }),
    });
    this.live = new LiveChannel(central, this.puller.tableNames(), this.options.sessionToken, {
      onMessage: (message) => this.onLive(message),
      // Whatever happened while the channel was closed is only visible to a pull.
      onConnectionChange: (connected) => {
        if (connected) void this.requestSync();
        // The gateway stopped answering: say so now, rather than when the next request times out.
        else this.markOffline(new CentralError('transient', 'LIVE_LOST', 'The connection to the centre was lost.'));
      },
    });
    this.live.start();
    this.pollTimer = setInterval(() => {
      if (!this.retryTimer) void this.requestSync();
    }, this.pollIntervalMs);
    return this.requestSync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.live?.stop();
    await this.syncRun?.catch(() => undefined);
  }

  currentStatus(): SyncStatus {
    return { ...this.status, pending: this.options.cache.pendingCount(), attention: this.options.cache.rejectionCount() };
  }

  requestSync(): Promise<void> {
    if (this.stopped || !this.puller) return Promise.resolve();
    if (this.syncRun) {
      this.syncAgain = true;
      return this.syncRun;
    }
    this.syncRun = (async () => {
      do {
        this.syncAgain = false;
        await this.syncOnce();
      } while (this.syncAgain && !this.stopped);
    })().finally(() => {
      this.syncRun = null;
    });
    return this.syncRun;
  }

  /**
   * Row-level security lets the first load start only at sign-in. A small clinic is ready before
   * the person's first click; a big one shows its progress bar instead of holding the sign-in screen.
   */
  async afterSignIn(): Promise<void> {
    this.live?.sessionChanged();
    const sync = this.requestSync();
    if (!this.options.cache.readCursor()) await Promise.race([sync, new Promise((resolve) => setTimeout(resolve, FIRST_LOAD_WAIT_MS).unref())]);
  }

  /**
   * Rows the live channel pushed. They are applied at once unless a sync run is under way (its pull would move the
   * cursor under them), local writes wait, or the station missed something before them: then a pull brings them.
   */
  private onLive(message: LiveMessage): void {
    if (this.stopped || !this.puller || message.type !== 'changes') return;
    if (this.syncRun || this.options.cache.pendingCount() > 0 || !this.puller.applyLive(message.from, message.to, message.changes)) {
      void this.requestSync();
      return;
    }
    this.markOnline();
  }

  /** A local write went into the outbox: show it as pending and send it. */
  afterLocalWrite(): void {
    this.setStatus({});
    void this.requestSync();
  }

  private async syncOnce(): Promise<void> {
    // The centre shows a station nothing without a signed-in session (row-level security): a
    // load now would look like an empty clinic. Sync starts at sign-in.
    if (!(await this.checkCompatible()) || !this.options.sessionToken()) return;
    const pushed = await this.push();
    if (pushed.kind !== 'drained') return;
    try {
      const pulled = await this.puller!.pull();
      if (pulled.kind === 'initial') this.setStatus({ initialSync: null });
      await this.fetchClinicSettings();
      this.markOnline();
      if (pulled.kind === 'incremental' && this.options.now().getTime() - this.lastVerifiedAt > (this.options.verifyIntervalMs ?? 10 * 60_000)) {
        await this.verifyNow();
      }
    } catch (error) {
      this.markOffline(classifyFailure(error));
    }
  }

  /**
   * The clinic's settings (announcement languages…) are not in the change feed: read at most once
   * per poll interval — not on every notification-driven pull — and kept for offline use. A change
   * made here and still in the outbox is not overwritten.
   */
  private async fetchClinicSettings(): Promise<void> {
    const token = this.options.sessionToken();
    const now = this.options.now().getTime();
    if (!token || now - this.settingsFetchedAt < this.pollIntervalMs) return;
    this.settingsFetchedAt = now;
    const json = JSON.stringify(await this.options.central.settings(token));
    const cache = this.options.cache;
    if (cache.pendingCount() === 0 && json !== cache.getMeta(CLINIC_SETTINGS_META)) cache.setMeta(CLINIC_SETTINGS_META, json);
  }

  /** Compares the cache with the centre partition by partition and repairs only what differs. */
  async verifyNow(): Promise<{ table: string; partition: string; rows: number }[]> {
    this.lastVerifiedAt = this.options.now().getTime();
    const result = await this.puller!.verify();
    return result.repaired;
  }

  /** Nothing is pushed or pulled until the centre is known to speak this app's protocol. */
  private async ensureCompatible(): Promise<CentralError | null> {
    if (this.compatible) return null;
    try {
      await this.puller!.handshake();
      this.compatible = true;
      return null;
    } catch (error) {
      return classifyFailure(error);
    }
  }

  /** True when sync may go ahead; otherwise the status says why not (incompatible or unreachable). */
  private async checkCompatible(): Promise<boolean> {
    const refusal = await this.ensureCompatible();
    if (!refusal) return true;
    if (refusal.kind === 'incompatible') this.setStatus({ online: true, lastError: refusal.message });
    else this.markOffline(refusal);
    return false;
  }

  /** Sends the outbox now; a doctor's call waits on this so the centre sees every earlier write first. */
  async push(): Promise<PushOutcome> {
    if (!(await this.checkCompatible())) {
      return { kind: 'offline', pushed: 0, rejected: 0, error: new CentralError('transient', 'SYNC_PAUSED', this.status.lastError ?? 'Sync is paused.') };
    }
    const outcome = await this.pusher.push();
    if (outcome.kind === 'offline') this.markOffline(outcome.error);
    if (outcome.kind === 'needs_sign_in') {
      this.setStatus({ online: true, lastError: `Sign in again to send ${this.options.cache.pendingCount()} waiting change(s).` });
    }
    return outcome;
  }

  /**
   * A procedure the centre must decide while the person waits (who is called next). Its answer is
   * applied to the cache at once; null means the centre is unreachable and the caller decides locally.
   */
  async callNow(procedure: string, requestKey: string, args: unknown, token: string): Promise<unknown> {
    // Known to be offline: decide here at once rather than make the doctor wait out a timeout.
    if (this.knownOffline) {
      void this.requestSync();
      return null;
    }
    try {
      const result = await this.options.central.callProcedure(procedure, requestKey, args, token);
      const summary: AppliedSummary = emptySummary();
      this.options.cache.transaction(() => this.options.cache.applyProcedureResult(result, summary));
      this.options.cache.notifyApplied(summary);
      this.markOnline();
      return result;
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind !== 'transient') throw apiErrorFromCentral(failure);
      this.markOffline(failure);
      return null;
    }
  }

  /**
   * Gives the centre a moment to answer a write the person is waiting on, so a refusal the cache
   * could not foresee (say, an NRIC registered at another desk a minute ago) shows on the form.
   * Offline, the write simply waits in the outbox.
   */
  async pushAndSurfaceRejection(requestKey: string, waitMs = 3000): Promise<void> {
    this.setStatus({});
    // Offline the write waits in the outbox; the person at the desk does not wait with it.
    if (this.knownOffline) {
      void this.requestSync();
      return;
    }
    await Promise.race([this.requestSync(), new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
    const cache = this.options.cache;
    if (cache.isQueued(requestKey)) return;
    const rejection = cache.rejectionOf(requestKey);
    if (rejection) throw apiErrorFromCentral(new CentralError('permanent', rejection.code, rejection.message));
  }

  private markOnline(): void {
    this.knownOffline = false;
    this.retryBackoff.reset();
    this.setStatus({ online: true, lastSyncedAt: this.options.now().toISOString(), lastError: null });
  }

  private markOffline(error: CentralError): void {
    this.knownOffline = true;
    this.setStatus({ online: false, lastError: error.message });
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.requestSync();
    }, this.retryBackoff.nextDelayMs());
  }

  setStatus(change: Partial<SyncStatus>): void {
    const next = { ...this.status, ...change, pending: this.options.cache.pendingCount(), attention: this.options.cache.rejectionCount() };
    const changed = JSON.stringify(next) !== JSON.stringify(this.status);
    this.status = next;
    if (changed) this.options.emit('sync.status', next);
  }
}
