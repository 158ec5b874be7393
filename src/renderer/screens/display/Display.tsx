import { useEffect, useRef, useState } from 'react';
import { defaultAnnouncementSettings } from '../../../shared/announcement';
import type { DisplayCall } from '../../../shared/contract';
import { createAnnouncer, type Announcer, type AnnouncerState } from './announcer';
import { formatClock, formatDay } from '../../common/format';
import { useApi, useInterval, useLoad, useNow, useStationEvent } from '../../common/hooks';
import { DevicesButton } from '../devices/Devices';

/** A safety net only: the board refetches on every call and queue event. */
const BOARD_POLL_MS = 30_000;
/** Events can repeat (reconnects, replays); a call is announced once. */
const REMEMBERED_CALLS = 50;

/**
 * The waiting-room screen. It shows only what the display contract carries, numbers and rooms,
 * so no name or NRIC can reach the waiting room by accident.
 */
export function Display() {
  const api = useApi();
  const board = useLoad(() => api.call('display.board', {}));
  const now = useNow(1000);
  const reload = board.reload;
  useInterval(reload, BOARD_POLL_MS);
  useStationEvent('queue.changed', reload);

  const voice = useLoad(() => api.call('announcements.settings', {}));
  const voiceSettings = useRef(voice.data);
  useEffect(() => {
    voiceSettings.current = voice.data;
  }, [voice.data]);
  useInterval(voice.reload, BOARD_POLL_MS);

  const announcer = useRef<Announcer | null>(null);
  const [sound, setSound] = useState<AnnouncerState>({ announcing: false, speaking: null, soundBlocked: false });
  useEffect(() => {
    const created = createAnnouncer({
      settings: () => voiceSettings.current ?? { ...defaultAnnouncementSettings, overrides: [] },
      recording: async (key) => {
        const [language, clip] = key.split('/') as [never, string];
        return (await api.call('announcements.clip', { language, clip })).url;
      },
    });
    announcer.current = created;
    const unsubscribe = created.subscribe(() => setSound(created.state()));
    created.enableSound();
    return () => {
      unsubscribe();
      created.dispose();
      announcer.current = null;
    };
  }, [api]);

  const [flashId, setFlashId] = useState<string | null>(null);
  const announced = useRef<string[]>([]);
  useStationEvent('display.called', (call: DisplayCall) => {
    reload();
    // The clinic's languages may have changed since the last poll: fresh before the chime ends, when the announcer reads them.
    voice.reload();
    if (announced.current.includes(call.callId)) return;
    announced.current = [call.callId, ...announced.current].slice(0, REMEMBERED_CALLS);
    setFlashId(call.callId);
    announcer.current?.announce({ ticketNumber: call.ticketNumber, roomName: call.roomName });
  });

  const data = board.data;
  const recent = data ? [...data.recent].sort((a, b) => b.calledAt.localeCompare(a.calledAt)) : [];
  const serving = data?.nowServing ?? null;

  return (
    <div
      className="display"
      data-announcing={sound.announcing ? 'true' : 'false'}
      onPointerDown={() => announcer.current?.enableSound()}
    >
      <header className="display-top">
        <div className="display-clinic">{data?.clinicName ?? ''}</div>
        <div className="display-clock">
          <span className="display-time">{formatClock(now)}</span>
          <span className="display-date">{formatDay(now)}</span>
        </div>
      </header>

      <main className="display-main">
        {serving ? (
          <>
            <div className="display-label">Now serving</div>
            <div
              key={serving.callId}
              className={`display-number ${flashId === serving.callId ? 'display-flash' : ''}`}
              data-testid="now-serving-number"
            >
              {serving.ticketNumber}
            </div>
            <div className="display-room">
              <span className="display-arrow" aria-hidden="true">
                ➜
              </span>
              <span data-testid="now-serving-room">{serving.roomName}</span>
            </div>
          </>
        ) : (
          <div className="display-idle">
            <div className="display-idle-title">Welcome</div>
            <div className="display-idle-text">Please wait for your number to be called</div>
          </div>
        )}
      </main>

      <footer className="display-bottom">
        <div className="display-recent-head">
          <span>Recent calls</span>
          {data && <span className="display-waiting">{data.waitingCount} waiting</span>}
        </div>
        <ol className="display-recent">
          {recent.map((call, index) => (
            <li
              key={call.callId}
              className={`recent-call ${index === 0 ? 'recent-newest' : ''}`}
              data-testid="recent-call"
              data-newest={index === 0 ? 'true' : 'false'}
            >
              <span className="recent-number">{call.ticketNumber}</span>
              <span className="recent-room">{call.roomName}</span>
              {call.kind === 'recall' && <span className="recent-recall">Recall</span>}
            </li>
          ))}
          {data && recent.length === 0 && <li className="recent-empty">No numbers called yet today</li>}
        </ol>
      </footer>

      {sound.speaking && (
        <div className="display-caption" lang={sound.speaking.language} data-testid="announcement-caption" data-language={sound.speaking.language}>
          {sound.speaking.text}
        </div>
      )}
      <div className="display-devices">
        <DevicesButton quiet />
      </div>
      {sound.soundBlocked && <div className="display-sound">Sound is off: tap the screen once to turn on announcements</div>}
      {board.error && (
        <div className="display-error" role="alert" data-testid="display-error">
          Board not updating: {board.error}
        </div>
      )}
    </div>
  );
}
