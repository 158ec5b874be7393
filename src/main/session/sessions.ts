import { ApiError, type Session, type StationRole } from '../../shared/contract';
import { classifyFailure, type Central, type SignInResult } from '../../sync/central';
import type { Cache } from '../cache/cache';
import { apiErrorFromCentral } from '../central-errors';

export interface StoredSession {
  token: string;
  session: Session;
  stationId: string;
  deskLetter: string | null;
}

/** Staff roles that work the front desk: reception's own work, and what a nurse or manager does there. */
export const RECEPTION_ROLES = ['receptionist', 'nurse', 'clinic_admin', 'chain_admin'];
export const STAFF_ROLES = [...RECEPTION_ROLES, 'doctor'];

/** A staff session (12 hours at the centre, a day at most) is extended when less than half of it is left. */
const STAFF_REFRESH_WITHIN_MS = 6 * 60 * 60 * 1000;
/** The display's device session lasts 30 days. */
const DISPLAY_REFRESH_WITHIN_MS = 15 * 24 * 60 * 60 * 1000;

/** Who is signed in at this station, checked at the centre and kept in the cache. */
export class SessionService {
  constructor(
    private readonly stationRole: StationRole,
    private readonly cache: Cache,
    private readonly central: Central,
    private readonly now: () => Date,
  ) {}

  current(): StoredSession | null {
    const raw = this.cache.getMeta('session');
    if (!raw) return null;
    const stored = JSON.parse(raw) as StoredSession;
    if (Date.parse(stored.session.expiresAt) <= this.now().getTime()) return null;
    return stored;
  }

  require(allowed: readonly string[]): StoredSession {
    const stored = this.current();
    if (!stored) throw new ApiError('not_signed_in', 'Please sign in.');
    if (!allowed.includes(stored.session.role)) {
      throw new ApiError('forbidden', `A ${stored.session.role.replace('_', ' ')} cannot do this at a ${this.stationRole} station.`);
    }
    return stored;
  }

  requireDoctor(): { stored: StoredSession; doctorId: string } {
    const stored = this.require(['doctor']);
    if (!stored.session.doctor) throw new ApiError('forbidden', 'Only a doctor can call patients.');
    return { stored, doctorId: stored.session.doctor.id };
  }

  /** Checks the password at the centre; the new session also carries this desk's offline work. */
  async signIn(username: string, password: string): Promise<Session> {
    let result: SignInResult;
    try {
      result = await this.central.signIn({ username, password });
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === 'transient') {
        throw new ApiError('offline', 'Cannot reach the centre to sign in. Check the network cable or Wi-Fi and try again.');
      }
      throw apiErrorFromCentral(failure);
    }
    const session: Session = {
      userId: result.user.id,
      username: result.user.username,
      fullName: result.user.full_name,
      role: result.user.role as Session['role'],
      doctor: result.doctor ? { id: result.doctor.id, fullName: result.doctor.full_name, mcrNumber: result.doctor.mcr_number } : null,
      expiresAt: new Date(result.expires_at).toISOString(),
    };
    const stored: StoredSession = { token: result.token, session, stationId: result.station.id, deskLetter: result.station.desk_letter };
    this.cache.transaction(() => {
      this.cache.setMeta('session', JSON.stringify(stored));
      this.cache.setMeta('desk_letter', result.station.desk_letter);
      this.cache.restampSessions(result.token);
    });
    return session;
  }

  /**
   * Extends the session at the centre once it is past the middle of its life, so a receptionist on a long shift,
   * or the waiting-room display on its month-long device session, is not signed out while working. A centre that
   * says the session is over (signed out elsewhere, the station revoked) ends it here too; offline, it waits.
   */
  async refreshIfDue(): Promise<'refreshed' | 'not_due' | 'ended' | 'offline'> {
    const stored = this.current();
    if (!stored) return 'not_due';
    const remainingMs = Date.parse(stored.session.expiresAt) - this.now().getTime();
    const dueWithinMs = stored.session.role === 'display' ? DISPLAY_REFRESH_WITHIN_MS : STAFF_REFRESH_WITHIN_MS;
    if (remainingMs > dueWithinMs) return 'not_due';
    let expiresAt: string;
    try {
      expiresAt = await this.central.refreshSession(stored.token);
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === 'transient') return 'offline';
      if (failure.kind !== 'unauthenticated') throw apiErrorFromCentral(failure);
      if (this.current()?.token === stored.token) this.cache.setMeta('session', null);
      return 'ended';
    }
    // Signed out, or someone else signed in, while the centre answered: that session is not this one.
    if (this.current()?.token !== stored.token) return 'not_due';
    const refreshed: StoredSession = { ...stored, session: { ...stored.session, expiresAt: new Date(expiresAt).toISOString() } };
    this.cache.setMeta('session', JSON.stringify(refreshed));
    return 'refreshed';
  }

  /**
   * Forgets the session here and asks the centre to end it. Offline, the local sign-out still stands; the token
   * then ends at its expiry.
   */
  async signOut(): Promise<void> {
    const stored = this.current();
    this.cache.setMeta('session', null);
    if (stored) await this.central.signOut(stored.token).catch(() => undefined);
  }
}
