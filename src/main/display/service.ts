import { queueStatusSchema, type DisplayBoard, type DisplayCall, type EventName, type EventPayload } from '../../shared/contract';
import { clinicDay, clinicDayStart } from '../../shared/clinic-day';
import { displayBoard, type BoardCall } from '../../shared/display-board';
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
    const rows = this.cache.all(
      this.cache.q
        .selectFrom('queue_calls as c')
        .leftJoin('rooms as r', (join) => join.onRef('r.id', '=', 'c.room_id').onRef('r.clinic_id', '=', 'c.clinic_id'))
        .leftJoin('queue_tickets as t', (join) => join.onRef('t.id', '=', 'c.ticket_id').onRef('t.clinic_id', '=', 'c.clinic_id'))
        .select(['c.id', 'c.ticket_id', 'c.ticket_number', 'c.kind', 'c.called_at', 'c.room_id', 'r.name as room_name', 't.status as ticket_status', 't.room_id as ticket_room_id'])
        .where('c.clinic_id', '=', clinic.id)
        // The cache holds yesterday's calls too (the sync window); it stores instants as UTC ISO strings, so they compare as text.
        .where('c.called_at', '>=', clinicDayStart(today).toISOString()),
    );
    const calls: BoardCall[] = rows.map((row) => ({
      call: toDisplayCall(row),
      ticketId: row.ticket_id,
      roomId: row.room_id,
      ticket: row.ticket_status === null ? null : { status: queueStatusSchema.parse(row.ticket_status), roomId: row.ticket_room_id },
    }));
    const rooms = this.cache
      .all(this.cache.q.selectFrom('rooms').select(['id', 'code', 'name', 'is_active']).where('clinic_id', '=', clinic.id))
      .map((r) => ({ id: r.id, code: r.code, name: r.name, active: r.is_active === 1 }));
    const waiting = this.cache.all(
      this.cache.q.selectFrom('queue_tickets').select('id').where('clinic_id', '=', clinic.id).where('service_date', '=', today).where('status', '=', 'waiting'),
    ).length;
    return { clinicName: clinic.name, ...displayBoard(calls, rooms), waitingCount: waiting };
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
