import type { Handlers } from '../handlers';
import type { SyncEngine } from '../sync-engine/engine';
import type { SessionService } from './sessions';

export function sessionHandlers(sessions: SessionService, sync: SyncEngine): Handlers<'session.signIn' | 'session.current' | 'session.signOut'> {
  return {
    'session.signIn': async (input) => {
      const session = await sessions.signIn(input.username, input.password);
      await sync.afterSignIn();
      return session;
    },
    'session.current': () => sessions.current()?.session ?? null,
    'session.signOut': async () => {
      await sessions.signOut();
      return { ok: true as const };
    },
  };
}
