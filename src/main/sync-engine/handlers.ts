import type { Cache } from '../cache/cache';
import type { Handlers } from '../handlers';
import { describeRejection } from './attention';
import type { SyncEngine } from './engine';

export function syncHandlers(engine: SyncEngine, cache: Cache): Handlers<'sync.status' | 'sync.attention' | 'sync.dismiss'> {
  return {
    'sync.status': () => engine.currentStatus(),
    'sync.attention': () => cache.rejections().map(describeRejection),
    'sync.dismiss': (input) => {
      cache.dismissRejection(input.id);
      engine.setStatus({});
      return { ok: true as const };
    },
  };
}
