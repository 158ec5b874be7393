import { randomUUID } from 'node:crypto';
import { ApiError, type EventName, type EventPayload, type Ticket } from '../../shared/contract';
import { ageOn, clinicDay } from '../../shared/clinic-day';
import { orderQueue, pickNext, priorityFor, type QueuePriority } from '../../shared/queue-order';
import { formatTicketNumber } from '../../shared/ticket-number';
import type { AppliedSummary, Cache, Undo } from '../cache/cache';
import type { ClinicService } from '../clinic/service';
import { CLINIC_SETTINGS_META, checkInOpensAt, checkInOpensMinutes } from '../clinic/settings';
import type { StationSchema } from '../schema';
import { asCandidate } from './candidate';
import { RECEPTION_ROLES, STAFF_ROLES, type SessionService } from '../session/sessions';
import type { SyncEngine } from '../sync-engine/engine';

type TicketRow = StationSchema['queue_tickets'];
export type TicketAction = 'recall' | 'skip' | 'no_show' | 'complete';

const pastTense = { recall: 'recalled', skip: 'skipped', no_show: 'marked no-show', complete: 'completed' } as const;

/** Tables whose changes alter what a queue screen shows. */
const singaporeTime = (at: Date) => at.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'Asia/Singapore' });

const queueTables = new Set(['queue_tickets', 'queue_calls', 'appointments', 'patients']);

export interface QueueDeps {
  cache: Cache;
  clinic: ClinicService;
  sessions: SessionService;
  sync: SyncEngine;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  now: () => Date;
}

/**
 * Today's queue: reception issues tickets with this desk's own numbers, doctors call, recall, skip
 * and complete. Every change is written to the cache with its outbox entry in one transaction.
 */
export class QueueService {
  constructor(private readonly deps: QueueDeps) {}

  private get cache(): Cache {
    return this.deps.cache;
  }

  private changed(): void {
    this.deps.emit('queue.changed', { at: new Date().toISOString() });
  }

  onCacheChanged(summary: AppliedSummary): void {
    if ([...summary.tables].some((t) => queueTables.has(t))) this.changed();
  }

  toTicket(row: TicketRow): Ticket {
    const patient = this.cache.get(this.cache.q.selectFrom('patients').select(['full_name', 'date_of_birth']).where('id', '=', row.patient_id));
    return {
      id: row.id,
      ticketNumber: row.ticket_number,
      serviceDate: row.service_date,
      status: row.status as Ticket['status'],
      priority: row.priority as QueuePriority,
      kind: row.kind as Ticket['kind'],
      patientId: row.patient_id,
      patientName: patient?.full_name ?? 'Unknown patient',
      patientAge: patient ? ageOn(patient.date_of_birth, row.service_date) : 0,
      doctorId: row.doctor_id,
      roomId: row.room_id,
      roomName: this.deps.clinic.roomName(row.room_id),
      issuedAt: row.issued_at,
      calledAt: row.called_at,
      dueAt: row.due_at,
      recallCount: row.recall_count,
      pending: row.pending === 1,
    };
  }

  private ticket(id: string): Ticket {
    return this.toTicket(this.cache.get(this.cache.q.selectFrom('queue_tickets').selectAll().where('id', '=', id))!);
  }

  ticketsOfDay(day: string): TicketRow[] {
    return this.cache.all(this.cache.q.selectFrom('queue_tickets').selectAll().where('clinic_id', '=', this.deps.clinic.require().id).where('service_date', '=', day));
  }

  async issueTicket(input: { patientId: string; urgent: boolean; appointmentId?: string }): Promise<Ticket> {
    const stored = this.deps.sessions.require(RECEPTION_ROLES);
    const clinicId = this.deps.clinic.require().id;
    const letter = this.cache.getMeta('desk_letter');
    if (!letter) throw new ApiError('forbidden', 'This desk has no ticket letter yet. Sign in once while connected to the central database.');
    const q = this.cache.q;
    const patient = this.cache.get(q.selectFrom('patients').selectAll().where('clinic_id', '=', clinicId).where('id', '=', input.patientId));
    if (!patient) throw new ApiError('not_found', 'That patient is not in this clinic’s records.');
    const now = this.deps.now();
    const today = clinicDay(now);
    const active = this.ticketsOfDay(today).find((t) => t.patient_id === patient.id && (t.status === 'waiting' || t.status === 'called'));
    if (active) throw new ApiError('conflict', `${patient.full_name} already holds ticket ${active.ticket_number} today.`);

    let appointment: StationSchema['appointments'] | undefined;
    if (input.appointmentId) {
      appointment = this.cache.get(q.selectFrom('appointments').selectAll().where('clinic_id', '=', clinicId).where('id', '=', input.appointmentId));
      if (!appointment) throw new ApiError('not_found', 'That appointment is not in this clinic’s records.');
      if (appointment.patient_id !== patient.id) throw new ApiError('validation', 'That appointment belongs to another patient.');
      if (clinicDay(new Date(appointment.starts_at)) !== today) throw new ApiError('validation', 'Only today’s appointments can be checked in.');
      if (!['scheduled', 'confirmed'].includes(appointment.status)) {
        throw new ApiError('conflict', `This appointment is already ${appointment.status.replace('_', ' ')}.`);
      }
      const settings = this.cache.getMeta(CLINIC_SETTINGS_META);
      const opens = checkInOpensAt(appointment.starts_at, settings);
      if (now < opens) {
        throw new ApiError(
          'conflict',
          `Check-in for the ${singaporeTime(new Date(appointment.starts_at))} appointment opens at ${singaporeTime(opens)}, ${checkInOpensMinutes(settings)} minutes before it.`,
        );
      }
    }

    const issuedAt = now.toISOString();
    const { requestKey, written: ticket } = this.cache.enqueue(
      () => {
        const seq = this.nextDeskSeq(today, letter);
        let ticketNumber: string;
        try {
          ticketNumber = formatTicketNumber(letter, seq);
        } catch (error) {
          throw new ApiError('conflict', `Desk ${letter} has issued all its numbers for today: ${(error as Error).message}`);
        }
        const row: TicketRow = {
          clinic_id: clinicId,
          id: randomUUID(),
          service_date: today,
          ticket_number: ticketNumber,
          desk_letter: letter,
          desk_seq: seq,
          patient_id: patient.id,
          appointment_id: appointment?.id ?? null,
          doctor_id: appointment?.doctor_id ?? null,
          kind: appointment ? 'appointment' : 'walk_in',
          priority: priorityFor({ urgent: input.urgent, dateOfBirth: patient.date_of_birth, serviceDate: today }),
          status: 'waiting',
          issued_at: issuedAt,
          queued_at: issuedAt,
          due_at: appointment?.starts_at ?? null,
          called_at: null,
          called_by_doctor_id: null,
          room_id: null,
          recall_count: 0,
          completed_at: null,
          sync_seq: 0,
          pending: 1,
        };
        this.cache.run(q.insertInto('queue_tickets').values(row));
        this.cache.run(
          q
            .insertInto('desk_counters')
            .values({ service_date: today, desk_letter: letter, last_seq: seq })
            .onConflict((oc) => oc.columns(['service_date', 'desk_letter']).doUpdateSet({ last_seq: seq })),
        );
        if (appointment) this.cache.run(q.updateTable('appointments').set({ status: 'checked_in', pending: 1 }).where('id', '=', appointment.id));
        return row;
      },
      (row) => ({
        procedure: 'issue_ticket',
        args: {
          id: row.id,
          service_date: row.service_date,
          ticket_number: row.ticket_number,
          desk_letter: row.desk_letter,
          desk_seq: row.desk_seq,
          patient_id: row.patient_id,
          urgent: input.urgent,
          appointment_id: row.appointment_id,
          issued_at: row.issued_at,
        },
        sessionToken: stored.token,
        undo: [
          { kind: 'delete', table: 'queue_tickets', id: row.id },
          ...(appointment ? [{ kind: 'restore', table: 'appointments', row: appointment } satisfies Undo] : []),
        ],
      }),
    );
    this.changed();
    await this.deps.sync.pushAndSurfaceRejection(requestKey);
    const saved = this.cache.get(q.selectFrom('queue_tickets').selectAll().where('id', '=', ticket.id));
    return this.toTicket(saved ?? ticket);
  }

  /**
   * The next number of this desk today: above both what this desk counted and any ticket of its
   * letter the centre already holds (a reinstalled desk must not reuse a number).
   */
  private nextDeskSeq(day: string, letter: string): number {
    const q = this.cache.q;
    const counted = this.cache.get(q.selectFrom('desk_counters').select('last_seq').where('service_date', '=', day).where('desk_letter', '=', letter))?.last_seq ?? 0;
    const seen =
      this.cache.get(
        q
          .selectFrom('queue_tickets')
          .select((eb) => eb.fn.max('desk_seq').as('max_seq'))
          .where('service_date', '=', day)
          .where('desk_letter', '=', letter),
      )?.max_seq ?? 0;
    return Math.max(counted, Number(seen)) + 1;
  }

  today(): Ticket[] {
    this.deps.sessions.require(STAFF_ROLES);
    return this.ticketsOfDay(clinicDay(this.deps.now()))
      .sort((a, b) => a.issued_at.localeCompare(b.issued_at) || a.ticket_number.localeCompare(b.ticket_number))
      .map((row) => this.toTicket(row));
  }

  mine(): { current: Ticket | null; waiting: Ticket[] } {
    const { doctorId } = this.deps.sessions.requireDoctor();
    const now = this.deps.now();
    const tickets = this.ticketsOfDay(clinicDay(now));
    const current = tickets
      .filter((t) => t.status === 'called' && t.called_by_doctor_id === doctorId)
      .sort((a, b) => (b.called_at ?? '').localeCompare(a.called_at ?? ''))[0];
    const waiting = orderQueue(tickets.map(asCandidate), { doctorId, now }).map((c) => this.toTicket(c.row));
    return { current: current ? this.toTicket(current) : null, waiting };
  }

  /**
   * Online, the centre chooses (two doctors never get the same patient). Offline, the doctor keeps
   * working from the cache: the choice is made locally and sent as a call of that ticket, which the
   * centre refuses if someone else called it meanwhile.
   */
  async callNext(): Promise<Ticket | null> {
    const { stored, doctorId } = this.deps.sessions.requireDoctor();
    const room = this.deps.clinic.requireRoom();
    const pushed = await this.deps.sync.push();
    if (pushed.kind === 'needs_sign_in') throw new ApiError('not_signed_in', 'Your session has expired. Please sign in again.');
    if (pushed.kind === 'drained') {
      const result = await this.deps.sync.callNow('call_next', randomUUID(), { room_id: room.id }, stored.token);
      if (result !== null) {
        const id = (result as { ticket?: { id?: string } | null }).ticket?.id;
        return id ? this.ticket(id) : null;
      }
    }
    const now = this.deps.now();
    const next = pickNext(this.ticketsOfDay(clinicDay(now)).map(asCandidate), { doctorId, now });
    if (!next) return null;
    const before = next.row;
    const called: TicketRow = {
      ...before,
      status: 'called',
      called_at: now.toISOString(),
      called_by_doctor_id: doctorId,
      doctor_id: doctorId,
      room_id: room.id,
      pending: 1,
    };
    this.cache.enqueue(
      () => this.cache.writeRow('queue_tickets', { ...called }, { mode: 'local', pending: true }),
      () => ({
        procedure: 'call_ticket',
        args: { ticket_id: before.id, room_id: room.id },
        sessionToken: stored.token,
        undo: [{ kind: 'restore', table: 'queue_tickets', row: before }],
      }),
    );
    this.afterLocalWrite();
    return this.ticket(before.id);
  }

  change(action: TicketAction, ticketId: string): Ticket {
    const { stored } = this.deps.sessions.requireDoctor();
    const before = this.cache.get(this.cache.q.selectFrom('queue_tickets').selectAll().where('id', '=', ticketId));
    if (!before) throw new ApiError('not_found', 'That ticket is not in today’s queue.');
    if (before.status !== 'called') {
      throw new ApiError('conflict', `Ticket ${before.ticket_number} is ${before.status.replace('_', ' ')}, not called: it cannot be ${pastTense[action]}.`);
    }
    const now = this.deps.now().toISOString();
    const after: TicketRow = { ...before, pending: 1 };
    if (action === 'recall') Object.assign(after, { recall_count: before.recall_count + 1, called_at: now });
    if (action === 'skip') Object.assign(after, { status: 'waiting', queued_at: now, called_at: null, room_id: null, called_by_doctor_id: null });
    if (action === 'no_show') Object.assign(after, { status: 'no_show' });
    if (action === 'complete') Object.assign(after, { status: 'completed', completed_at: now });
    this.cache.enqueue(
      () => this.cache.writeRow('queue_tickets', { ...after }, { mode: 'local', pending: true }),
      () => ({
        procedure: `${action}_ticket`,
        args: { ticket_id: ticketId },
        sessionToken: stored.token,
        undo: [{ kind: 'restore', table: 'queue_tickets', row: before }],
      }),
    );
    this.afterLocalWrite();
    return this.ticket(ticketId);
  }

  private afterLocalWrite(): void {
    this.changed();
    this.deps.sync.afterLocalWrite();
  }
}
