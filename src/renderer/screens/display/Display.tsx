import { useEffect, useRef, useState, type CSSProperties } from 'react';
import { defaultAnnouncementSettings } from '../../../shared/announcement';
import type { DisplayCall } from '../../../shared/contract';
import { createAnnouncer, type Announcer, type AnnouncerState } from './announcer';
import { formatClock, formatDay } from '../../common/format';
import { useApi, useInterval, useLoad, useNow, useStationEvent } from '../../common/hooks';
import { DevicesButton } from '../devices/Devices';

/** A safety net only: the board refetches on every call and queue event. */
const BOARD_POLL_MS = 30_000;

/** Up to four rooms side by side; more wrap onto a second row rather than shrinking numbers past reading at 5 m. */
function roomGrid(rooms: number): { columns: number; rows: number } {
  const columns = Math.max(1, rooms <= 4 ? rooms : Math.ceil(rooms / 2));
  return { columns, rows: Math.max(1, Math.ceil(rooms / columns)) };
}

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

  useStationEvent('display.called', (call: DisplayCall) => {
    reload();
    // The clinic's languages may have changed since the last poll: fresh before the chime ends, when the announcer reads them.
    voice.reload();
    announcer.current?.announce(call);
  });

  const data = board.data;
  const rooms = data?.rooms ?? [];
  const recent = data?.recent ?? [];
  const spokenCallId = sound.speaking?.call.callId ?? null;
  const grid = roomGrid(rooms.length);

  return (
    <div
      className="display"
      data-announcing={sound.announcing ? 'true' : 'false'}
      onPointerDown={() => announcer.current?.enableSound()}
    >
      <header className="display-top">
        <h1 className="display-clinic">{data?.clinicName ?? 'Waiting room'}</h1>
        <div className="display-clock">
          <span className="display-time">{formatClock(now)}</span>
          <span className="display-date">{formatDay(now)}</span>
        </div>
      </header>

      <main className="display-main">
        {rooms.some((room) => room.serving) ? (
          <>
            <div className="display-label">Now serving</div>
            <ol
              className="display-rooms"
              data-layout={rooms.length === 1 ? 'single' : 'rooms'}
              style={{ '--columns': grid.columns, '--rows': grid.rows } as CSSProperties}
            >
              {rooms.map((room) => {
                const spoken = room.serving !== null && room.serving.callId === spokenCallId;
                return (
                  <li key={room.roomName} className="room-tile" data-testid="room-tile" data-room-name={room.roomName} data-speaking={spoken ? 'true' : 'false'}>
                    <div className="display-room" data-testid="now-serving-room">
                      <span className="display-arrow" aria-hidden="true">
                        ➜
                      </span>
                      <span>{room.roomName}</span>
                    </div>
                    {room.serving ? (
                      <div key={room.serving.callId} className={`display-number ${spoken ? 'display-flash' : ''}`} data-testid="now-serving-number">
                        {room.serving.ticketNumber}
                      </div>
                    ) : (
                      <div className="display-number room-free" aria-label="No one called yet">
                        –
                      </div>
                    )}
                  </li>
                );
              })}
            </ol>
          </>
        ) : (
          <div className="display-idle">
            <div className="display-idle-title">Welcome</div>
            <div className="display-idle-text">Please wait for your number to be called</div>
          </div>
        )}
      </main>

      {/* A row of its own, kept while silent, so the caption can never cover a room or shift the numbers. */}
      <section className="display-caption-row" aria-label="Announcement" aria-live="polite">
        {sound.speaking && (
          <div className="display-caption" lang={sound.speaking.language} data-testid="announcement-caption" data-language={sound.speaking.language} data-call-id={sound.speaking.call.callId}>
            {sound.speaking.text}
          </div>
        )}
      </section>

      <footer className="display-bottom">
        <div className="display-recent-head">
          <span>Recent calls</span>
          {data && (
            <span className="display-waiting" data-testid="waiting-count">
              <strong>{data.waitingCount}</strong> waiting
            </span>
          )}
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
          {/* Finished tickets leave the list, so it can be empty after a busy morning too. */}
          {data && recent.length === 0 && <li className="recent-empty">No numbers being called</li>}
        </ol>
      </footer>

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
