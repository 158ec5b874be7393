import type { DisplayBoard, DisplayCall, EventName, EventPayload } from '../../shared/contract';
import { clinicDay } from '../../shared/clinic-day';
import type { AppliedSummary, Cache } from '../cache/cache';
import type { ClinicService } from '../clinic/service';
import type { StationSchema } from '../schema';

function toDisplayCall(c: { id: string; ticket_number: string; kind: string; called_at: string; room_name: string | null }): DisplayCall {
  return {
    callId: c.id,
    ticketNumber: c.ticket_number,
    roomName: c.room_name ?? 'the consultation room',
    kind: c.kind === 'recall' ? 'recall' : 'call',
    calledAt: c.called_at,
  };
}

/** The waiting-room board: numbers and rooms only, never a name. */
export class DisplayService {
  constructor(
    private readonly cache: Cache,
    private readonly clinic: ClinicService,
    private readonly emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void,
    private readonly now: () => Date,
  ) {}

  board(): DisplayBoard {
    const clinic = this.clinic.require();
    const today = clinicDay(this.now());
    const calls = this.cache
      .all(
        this.cache.q
          .selectFrom('queue_calls as c')
          .leftJoin('rooms as r', 'r.id', 'c.room_id')
          .select(['c.id', 'c.ticket_number', 'c.kind', 'c.called_at', 'r.name as room_name'])
          .where('c.clinic_id', '=', clinic.id)
          .orderBy('c.called_at', 'desc')
          .limit(20),
      )
      .filter((c) => clinicDay(new Date(c.called_at)) === today)
      .slice(0, 5)
      .map(toDisplayCall);
    const waiting = this.cache.all(
      this.cache.q.selectFrom('queue_tickets').select('id').where('clinic_id', '=', clinic.id).where('service_date', '=', today).where('status', '=', 'waiting'),
    ).length;
    return { clinicName: clinic.name, nowServing: calls[0] ?? null, recent: calls, waitingCount: waiting };
  }

  /** Announces each call of today that the cache had not seen before. */
  onCacheChanged(summary: AppliedSummary): void {
    const today = clinicDay(this.now());
    for (const { table, row } of summary.newRows) {
      if (table !== 'queue_calls') continue;
      const call = row as StationSchema['queue_calls'];
      if (clinicDay(new Date(call.called_at)) !== today) continue;
      this.emit('display.called', toDisplayCall({ ...call, room_name: this.clinic.roomName(call.room_id) }));
    }
  }
}
