import { randomUUID } from 'node:crypto';
import { ApiError, type EventName, type EventPayload, type QueueStatus, type Ticket } from '../../shared/contract';
import { ageOn, clinicDay } from '../../shared/clinic-day';
import { orderForReception, orderQueue, pickNext, priorityFor, type QueuePriority } from '../../shared/queue-order';
import { formatTicketNumber } from '../../shared/ticket-number';
import type { AppliedSummary, Cache, Undo } from '../cache/cache';
import type { ClinicService } from '../clinic/service';
import { CHECK_IN_OPENS_SETTING, CLINIC_SETTINGS_META, SETTINGS_ROLES, checkInOpensAt, checkInOpensMinutes } from '../clinic/settings';
import type { StationSchema } from '../schema';
import { asCandidate } from './candidate';
import { RECEPTION_ROLES, STAFF_ROLES, type SessionService } from '../session/sessions';
import type { SyncEngine } from '../sync-engine/engine';

type TicketRow = StationSchema['queue_tickets'];
export type TicketAction = 'recall' | 'skip' | 'no_show' | 'complete';

/** How a status reads in "Ticket A004 is …". */
const statusPhrase: Record<QueueStatus, string> = {
  waiting: 'still waiting',
  called: 'being called',
  completed: 'already completed',
  skipped: 'skipped',
  no_show: 'marked as no-show',
  cancelled: 'cancelled',
};

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
      doctorName: this.doctorName(row.doctor_id),
      roomId: row.room_id,
      roomName: this.deps.clinic.roomName(row.room_id),
      issuedAt: row.issued_at,
      queuedAt: row.queued_at,
      skipped: row.skipped_at !== null,
      calledAt: row.called_at,
      dueAt: row.due_at,
      recallCount: row.recall_count,
      cancelReason: row.cancel_reason,
      pending: row.pending === 1,
    };
  }

  private doctorName(doctorId: string | null): string | null {
    if (!doctorId) return null;
    return this.cache.get(this.cache.q.selectFrom('doctors').select('full_name').where('id', '=', doctorId))?.full_name ?? null;
  }

  checkInWindow(): { minutes: number; canEdit: boolean } {
    const session = this.deps.sessions.require(STAFF_ROLES);
    return { minutes: checkInOpensMinutes(this.cache.getMeta(CLINIC_SETTINGS_META)), canEdit: SETTINGS_ROLES.includes(session.session.role) };
  }

  /** The clinic manager's choice, shown here at once and decided by the centre's set_setting. */
  async setCheckInWindow(minutes: number): Promise<{ minutes: number; canEdit: boolean }> {
    const session = this.deps.sessions.require(SETTINGS_ROLES);
    const before = this.cache.getMeta(CLINIC_SETTINGS_META);
    let settings: Record<string, unknown> = {};
    try {
      settings = before ? (JSON.parse(before) as Record<string, unknown>) : {};
    } catch {
      settings = {};
    }
    const { requestKey } = this.cache.enqueue(
      () => this.cache.setMeta(CLINIC_SETTINGS_META, JSON.stringify({ ...settings, [CHECK_IN_OPENS_SETTING]: minutes })),
      () => ({ procedure: 'set_setting', args: { key: CHECK_IN_OPENS_SETTING, value: minutes }, sessionToken: session.token, undo: [] }),
    );
    this.changed();
    await this.deps.sync.pushAndSurfaceRejection(requestKey);
    return this.checkInWindow();
  }

  /** The clinic's doctors, for assigning a ticket. */
  doctors(): { id: string; fullName: string; mcrNumber: string }[] {
    this.deps.sessions.require(STAFF_ROLES);
    return this.cache
      .all(this.cache.q.selectFrom('doctors').select(['id', 'full_name', 'mcr_number']).where('clinic_id', '=', this.deps.clinic.require().id).where('is_active', '=', 1).orderBy('full_name'))
      .map((d) => ({ id: d.id, fullName: d.full_name, mcrNumber: d.mcr_number }));
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
    if (active && input.appointmentId && active.appointment_id === null) return this.linkAppointment(active, input.appointmentId);
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
          skipped_at: null,
          cancel_reason: null,
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
   * The patient already waits with a walk-in ticket and their appointment is checked in: the ticket becomes the
   * appointment's, for its doctor and due at its time, rather than a second ticket being refused.
   */
  private linkAppointment(ticket: TicketRow, appointmentId: string): Ticket {
    const stored = this.deps.sessions.require(RECEPTION_ROLES);
    const q = this.cache.q;
    const appointment = this.cache.get(q.selectFrom('appointments').selectAll().where('clinic_id', '=', ticket.clinic_id).where('id', '=', appointmentId));
    if (!appointment) throw new ApiError('not_found', 'That appointment is not in this clinic’s records.');
    if (appointment.patient_id !== ticket.patient_id) throw new ApiError('validation', 'That appointment belongs to another patient.');
    if (clinicDay(new Date(appointment.starts_at)) !== ticket.service_date) throw new ApiError('validation', 'Only today’s appointments can be checked in.');
    if (!['scheduled', 'confirmed'].includes(appointment.status)) {
      throw new ApiError('conflict', `This appointment is already ${appointment.status.replace('_', ' ')}.`);
    }
    const linked: TicketRow = {
      ...ticket,
      kind: 'appointment',
      appointment_id: appointment.id,
      due_at: appointment.starts_at,
      doctor_id: ticket.status === 'waiting' ? appointment.doctor_id : ticket.doctor_id,
      pending: 1,
    };
    this.cache.enqueue(
      () => {
        this.cache.writeRow('queue_tickets', { ...linked }, { mode: 'local', pending: true });
        this.cache.run(q.updateTable('appointments').set({ status: ticket.status === 'called' ? 'in_consultation' : 'checked_in', pending: 1 }).where('id', '=', appointment.id));
      },
      () => ({
        procedure: 'link_appointment',
        args: { ticket_id: ticket.id, appointment_id: appointment.id },
        sessionToken: stored.token,
        undo: [
          { kind: 'restore', table: 'queue_tickets', row: ticket },
          { kind: 'restore', table: 'appointments', row: appointment },
        ],
      }),
    );
    this.afterLocalWrite();
    return this.ticket(ticket.id);
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
    const now = this.deps.now();
    return orderForReception(this.ticketsOfDay(clinicDay(now)).map((row) => this.toTicket(row)), now.toISOString());
  }

  /**
   * A called ticket belongs to the room: the doctor now signed in there sees and finishes the patient a
   * colleague called before signing out.
   */
  mine(): { current: Ticket | null; waiting: Ticket[] } {
    const { doctorId } = this.deps.sessions.requireDoctor();
    const now = this.deps.now();
    const tickets = this.ticketsOfDay(clinicDay(now));
    const roomId = this.deps.clinic.stationInfo().room?.id ?? null;
    const current = tickets
      .filter((t) => t.status === 'called' && (t.called_by_doctor_id === doctorId || (roomId !== null && t.room_id === roomId)))
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
    if (action === 'skip') Object.assign(after, { ...this.requeued(before), queued_at: now, skipped_at: now });
    if (action === 'no_show') Object.assign(after, { status: 'no_show' });
    const roomId = this.deps.clinic.stationInfo().room?.id ?? null;
    if (before.called_by_doctor_id !== this.deps.sessions.requireDoctor().doctorId && before.room_id !== roomId) {
      throw new ApiError('forbidden', `Ticket ${before.ticket_number} was called to ${this.deps.clinic.roomName(before.room_id) ?? 'another room'} by ${this.doctorName(before.called_by_doctor_id) ?? 'another doctor'}.`);
    }
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

  /** The waiting state a ticket returns to: for its appointment's doctor if it has one, otherwise for anyone. */
  private requeued(row: TicketRow): Partial<TicketRow> {
    const appointmentDoctor = row.appointment_id
      ? (this.cache.get(this.cache.q.selectFrom('appointments').select('doctor_id').where('id', '=', row.appointment_id))?.doctor_id ?? null)
      : null;
    return { status: 'waiting', called_at: null, called_by_doctor_id: null, room_id: null, cancel_reason: null, doctor_id: appointmentDoctor };
  }

  /**
   * One reception correction: checked here against the cached ticket so the desk answers at once (also offline),
   * written locally with its outbox entry, and decided for good by the centre's procedure of the same name.
   */
  private correct(
    ticketId: string,
    allowed: QueueStatus[],
    action: string,
    procedure: string,
    args: Record<string, unknown>,
    change: (before: TicketRow) => Partial<TicketRow>,
    appointmentStatus?: (after: TicketRow) => string | null,
  ): Ticket {
    const stored = this.deps.sessions.require(RECEPTION_ROLES);
    const q = this.cache.q;
    const before = this.cache.get(q.selectFrom('queue_tickets').selectAll().where('clinic_id', '=', this.deps.clinic.require().id).where('id', '=', ticketId));
    if (!before) throw new ApiError('not_found', 'That ticket is not in today’s queue.');
    if (before.service_date !== clinicDay(this.deps.now())) throw new ApiError('conflict', `Ticket ${before.ticket_number} is from another day: only today’s queue can be changed.`);
    if (!allowed.includes(before.status as QueueStatus)) {
      throw new ApiError('conflict', `Ticket ${before.ticket_number} is ${statusPhrase[before.status as QueueStatus]}, so it cannot be ${action}.`);
    }
    const after: TicketRow = { ...before, ...change(before), pending: 1 };
    const appointment = before.appointment_id ? this.cache.get(q.selectFrom('appointments').selectAll().where('id', '=', before.appointment_id)) : undefined;
    const nextAppointmentStatus = appointment && appointmentStatus ? appointmentStatus(after) : null;
    this.cache.enqueue(
      () => {
        this.cache.writeRow('queue_tickets', { ...after }, { mode: 'local', pending: true });
        if (appointment && nextAppointmentStatus) this.cache.run(q.updateTable('appointments').set({ status: nextAppointmentStatus, pending: 1 }).where('id', '=', appointment.id));
      },
      () => ({
        procedure,
        args: { ticket_id: ticketId, ...args },
        sessionToken: stored.token,
        undo: [
          { kind: 'restore', table: 'queue_tickets', row: before },
          ...(appointment && nextAppointmentStatus ? [{ kind: 'restore', table: 'appointments', row: appointment } satisfies Undo] : []),
        ],
      }),
    );
    this.afterLocalWrite();
    return this.ticket(ticketId);
  }

  /** The doctor left or the wrong number was called: the ticket waits again in the place it had. */
  returnToQueue(ticketId: string): Ticket {
    return this.correct(ticketId, ['called'], 'handed back to the queue', 'return_ticket', {}, (t) => this.requeued(t), () => 'checked_in');
  }

  /** A no-show who turned up, or a ticket cancelled by mistake: back in the line, at its end. */
  reinstate(ticketId: string): Ticket {
    const row = this.cache.get(this.cache.q.selectFrom('queue_tickets').select(['patient_id', 'service_date']).where('id', '=', ticketId));
    const other = row && this.ticketsOfDay(row.service_date).find((t) => t.patient_id === row.patient_id && t.id !== ticketId && (t.status === 'waiting' || t.status === 'called'));
    if (other) throw new ApiError('conflict', `This patient already holds ticket ${other.ticket_number} today.`);
    const now = this.deps.now().toISOString();
    return this.correct(ticketId, ['no_show', 'cancelled'], 'put back in the queue', 'reinstate_ticket', {}, (t) => ({ ...this.requeued(t), queued_at: now, skipped_at: now }), () => 'checked_in');
  }

  cancel(ticketId: string, reason: string): Ticket {
    return this.correct(
      ticketId,
      ['waiting', 'called'],
      'cancelled',
      'cancel_ticket',
      { reason },
      () => ({ status: 'cancelled', cancel_reason: reason, called_at: null, called_by_doctor_id: null, room_id: null }),
      () => 'scheduled',
    );
  }

  setPriority(ticketId: string, priority: QueuePriority): Ticket {
    return this.correct(ticketId, ['waiting'], 'given another priority', 'set_ticket_priority', { priority }, () => ({ priority, skipped_at: null }));
  }

  assign(ticketId: string, doctorId: string | null): Ticket {
    if (doctorId !== null && !this.doctors().some((d) => d.id === doctorId)) throw new ApiError('not_found', 'That doctor is not working at this clinic.');
    return this.correct(ticketId, ['waiting'], 'assigned', 'assign_ticket', { doctor_id: doctorId }, () => ({ doctor_id: doctorId }));
  }

  private afterLocalWrite(): void {
    this.changed();
    this.deps.sync.afterLocalWrite();
  }
}
