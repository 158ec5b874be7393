import { ageOn, clinicDay } from '../../src/shared/clinic-day';
import {
  ApiError,
  parseInput,
  syncStatusSchema,
  type Appointment,
  type AttentionItem,
  type ClinicApi,
  type DisplayCall,
  type EventName,
  type EventPayload,
  type MethodInput,
  type MethodName,
  type MethodOutput,
  type Patient,
  type Session,
  type StationInfo,
  type StationRole,
  type SyncStatus,
  type Ticket,
} from '../../src/shared/contract';
import { displayBoard } from '../../src/shared/display-board';
import { maskNric, nricCheckLetter, type NricPrefix } from '../../src/shared/nric';
import { matchesTerms, parsePatientQuery, patientSearchTerms } from '../../src/shared/patient-search';
import { generatePeople } from '../../seeds/people';
import { orderForReception, orderQueue, priorityFor } from '../../src/shared/queue-order';
import { formatTicketNumber } from '../../src/shared/ticket-number';
import { fakeDeviceHandlers } from './fake-devices';
import { fakeStationAdminHandlers } from './fake-station-admin';

/**
 * An in-memory station for renderer screenshots and component tests: it keeps the contract's
 * shapes and the queue rules of src/shared, and has no I/O, so it can be bundled into a page and
 * installed as `window.clinic`.
 */

export interface FakeClinicOptions {
  role: StationRole;
  /** Start with someone signed in (the receptionist, or the room's doctor); a display is, unless this is false. */
  signedIn?: boolean;
  /** Who is signed in instead of the receptionist (e.g. 'admin', the clinic manager). */
  signedInAs?: string;
  /** How many consult rooms (each with its doctor) the clinic has; 2 unless set. */
  rooms?: 1 | 2;
  /** 'busy' fills the day with patients, tickets and calls; 'empty' starts the day with none. */
  scenario?: 'busy' | 'empty';
  sync?: Partial<SyncStatus>;
  /** Refusals from the centre waiting for someone to look at them. */
  attention?: Omit<AttentionItem, 'id' | 'at'>[];
  /** The instant the fake treats as now; defaults to the real clock. */
  now?: string;
  /** Synthetic patients (seeds/people.ts) beside the named ones, for result lists longer than a page. */
  morePatients?: number;
}

export interface FakeClinic {
  api: ClinicApi;
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  setSync(status: Partial<SyncStatus>): void;
  /** A doctor elsewhere presses Call next; returns the ticket called, if any. */
  callNextFor(doctorIndex: number): Ticket | null;
  readonly tickets: readonly Ticket[];
  readonly patients: readonly Patient[];
}

export const FAKE_PASSWORD = 'demo1234';

interface Person {
  prefix: NricPrefix;
  digits: string;
  fullName: string;
  nativeName: string | null;
  dateOfBirth: string;
  gender: Patient['gender'];
  phone: string | null;
}

const PEOPLE: Person[] = [
  { prefix: 'S', digits: '1234567', fullName: 'Tan Wei Ming', nativeName: '陈伟明', dateOfBirth: '1985-03-12', gender: 'male', phone: '+6591234567' },
  { prefix: 'T', digits: '0312874', fullName: 'Lim Mei Ling', nativeName: '林美玲', dateOfBirth: '2003-07-21', gender: 'female', phone: '+6582341190' },
  { prefix: 'S', digits: '0834512', fullName: 'Ng Ah Kow', nativeName: '黄亚九', dateOfBirth: '1938-11-02', gender: 'male', phone: '+6564562231' },
  { prefix: 'S', digits: '8012345', fullName: 'Nurul Aisyah binte Rahman', nativeName: null, dateOfBirth: '1980-01-30', gender: 'female', phone: '+6597865512' },
  { prefix: 'S', digits: '7654321', fullName: 'Rajesh Kumar s/o Subramaniam', nativeName: null, dateOfBirth: '1976-05-09', gender: 'male', phone: '+6590017788' },
  { prefix: 'G', digits: '5512093', fullName: 'Chen Xiaohui', nativeName: '陈晓慧', dateOfBirth: '1992-09-14', gender: 'female', phone: '+6588776655' },
  { prefix: 'S', digits: '1456789', fullName: 'Goh Siew Lan', nativeName: '吴秀兰', dateOfBirth: '1942-04-18', gender: 'female', phone: null },
  { prefix: 'M', digits: '2345678', fullName: 'Wong Kai Jie', nativeName: '黄凯杰', dateOfBirth: '2019-12-01', gender: 'male', phone: '+6593451200' },
  { prefix: 'S', digits: '6789012', fullName: 'Tan Soo Hock', nativeName: '陈树福', dateOfBirth: '1961-08-27', gender: 'male', phone: '+6598102233' },
  { prefix: 'T', digits: '1122334', fullName: 'Tanya Fernandez', nativeName: null, dateOfBirth: '2011-02-05', gender: 'female', phone: '+6581204455' },
  { prefix: 'S', digits: '8876543', fullName: 'Tan Hui Yi', nativeName: '陈慧怡', dateOfBirth: '1988-10-07', gender: 'female', phone: '+6596612840' },
  { prefix: 'T', digits: '2401187', fullName: 'Lim Jia En', nativeName: '林佳恩', dateOfBirth: '2023-12-20', gender: 'female', phone: '+6591180032' },
  { prefix: 'S', digits: '9034412', fullName: 'Alex Tan', nativeName: null, dateOfBirth: '1990-07-03', gender: 'other', phone: '+60123456789' },
];

/** Deterministic ids that still satisfy the contract's uuid check. */
function idFactory(namespace: number): () => string {
  let n = 0;
  return () => `00000000-0000-4000-8${namespace.toString(16).padStart(3, '0')}-${(++n).toString(16).padStart(12, '0')}`;
}

type FakeTicket = Ticket;

export function createFakeClinic(options: FakeClinicOptions): FakeClinic {
  const nowMs = () => (options.now ? Date.parse(options.now) : Date.now());
  const nowIso = () => new Date(nowMs()).toISOString();
  const minutesAgo = (m: number) => new Date(nowMs() - m * 60_000).toISOString();
  const today = clinicDay(new Date(nowMs()));
  const busy = (options.scenario ?? 'busy') === 'busy';

  const newPatientId = idFactory(1);
  const newTicketId = idFactory(2);
  const newCallId = idFactory(3);
  const newMiscId = idFactory(4);

  const clinic = { id: newMiscId(), code: 'GCM', name: 'Gabriel Family Clinic · Marine Parade' };
  const allRooms = [
    { id: newMiscId(), code: 'R1', name: 'Room 1' },
    { id: newMiscId(), code: 'R2', name: 'Room 2' },
  ];
  const allDoctors = [
    { id: newMiscId(), fullName: 'Dr Lee Hui Min', mcrNumber: 'M12345A', room: allRooms[0]! },
    { id: newMiscId(), fullName: 'Dr Ahmad Faizal', mcrNumber: 'M23456B', room: allRooms[1]! },
  ];
  const rooms = allRooms.slice(0, options.rooms ?? 2);
  const doctors = allDoctors.slice(0, rooms.length);
  const doctor = doctors[0]!;
  const otherDoctor = doctors[1] ?? doctor;

  const station: StationInfo = {
    stationId: newMiscId(),
    stationCode: options.role === 'reception' ? 'RCP-01' : options.role === 'consult' ? 'CON-01' : 'TV-01',
    role: options.role,
    clinic,
    room: options.role === 'consult' ? { id: doctor.room.id, code: doctor.room.code, name: doctor.room.name } : null,
    deskLetter: options.role === 'reception' ? 'A' : null,
  };

  const users: Record<string, Session> = {
    reception: {
      userId: newMiscId(),
      username: 'reception',
      fullName: 'Siti Rahimah',
      role: 'receptionist',
      doctor: null,
      expiresAt: new Date(nowMs() + 8 * 3600_000).toISOString(),
    },
    doctor1: {
      userId: newMiscId(),
      username: 'doctor1',
      fullName: doctor.fullName,
      role: 'doctor',
      doctor: { id: doctor.id, fullName: doctor.fullName, mcrNumber: doctor.mcrNumber },
      expiresAt: new Date(nowMs() + 8 * 3600_000).toISOString(),
    },
    nurse: {
      userId: newMiscId(),
      username: 'nurse',
      fullName: 'Nur Aisyah binte Rahman',
      role: 'nurse',
      doctor: null,
      expiresAt: new Date(nowMs() + 8 * 3600_000).toISOString(),
    },
    admin: {
      userId: newMiscId(),
      username: 'admin',
      fullName: 'Gabriel Koh',
      role: 'clinic_admin',
      doctor: null,
      expiresAt: new Date(nowMs() + 8 * 3600_000).toISOString(),
    },
    display: {
      userId: newMiscId(),
      username: 'display',
      fullName: 'Waiting-room display',
      role: 'display',
      doctor: null,
      expiresAt: new Date(nowMs() + 8 * 3600_000).toISOString(),
    },
  };
  // A display station signs its device account in when it starts (dev/demo-clinic.ts), so its screen never asks.
  let session: Session | null =
    options.role === 'display' && options.signedIn !== false
      ? users.display!
      : options.signedInAs
        ? users[options.signedInAs]!
        : options.signedIn
          ? options.role === 'consult'
            ? users.doctor1!
            : users.reception!
          : null;

  const nricsByPatient = new Map<string, string>();
  const patients: Patient[] = PEOPLE.map((p) => {
    const nric = `${p.prefix}${p.digits}${nricCheckLetter(p.prefix, p.digits)}`;
    const patient: Patient = {
      id: newPatientId(),
      fullName: p.fullName,
      nativeName: p.nativeName,
      nricMasked: maskNric(nric),
      dateOfBirth: p.dateOfBirth,
      gender: p.gender,
      phone: p.phone,
      pending: false,
    };
    nricsByPatient.set(patient.id, nric);
    return patient;
  });
  for (const { nric, fullName, nativeName, dateOfBirth, gender, phone } of generatePeople(options.morePatients ?? 0, 7, { today: new Date(nowMs()) })) {
    const id = newPatientId();
    // As the centre stores it (E.164), not as the generator types it.
    patients.push({ id, fullName, nativeName, nricMasked: maskNric(nric), dateOfBirth, gender, phone: phone.replace(/\s/g, ''), pending: false });
    nricsByPatient.set(id, nric);
  }
  const patient = (i: number) => patients[i]!;

  let attention: AttentionItem[] = (options.attention ?? []).map((item, i) => ({ id: i + 1, at: minutesAgo(3 + i), ...item }));
  const tickets: FakeTicket[] = [];
  const calls: { call: DisplayCall; ticketId: string; roomId: string | null }[] = [];
  const appointments: Appointment[] = [];
  let deskSeq = 0;
  let checkInMinutes = 60;
  let sync: SyncStatus = syncStatusSchema.parse({ online: true, pending: 0, lastSyncedAt: minutesAgo(0.2), lastError: null, ...options.sync });

  function addTicket(p: Patient, at: string, extra: Partial<FakeTicket> = {}): FakeTicket {
    const ticket: FakeTicket = {
      id: newTicketId(),
      ticketNumber: formatTicketNumber('A', ++deskSeq),
      serviceDate: today,
      status: 'waiting',
      priority: priorityFor({ urgent: false, dateOfBirth: p.dateOfBirth, serviceDate: today }),
      kind: 'walk_in',
      patientId: p.id,
      patientName: p.fullName,
      patientAge: ageOn(p.dateOfBirth, today),
      doctorId: null,
      doctorName: null,
      roomId: null,
      roomName: null,
      issuedAt: at,
      queuedAt: at,
      skipped: false,
      calledAt: null,
      dueAt: null,
      recallCount: 0,
      cancelReason: null,
      pending: false,
      ...extra,
    };
    tickets.push(ticket);
    return ticket;
  }

  function recordCall(ticket: FakeTicket, kind: DisplayCall['kind'], at: string): DisplayCall {
    // Screenshots stop the clock, yet the board and the announcer order calls by time: each call comes after the last.
    const last = calls.reduce((latest, c) => Math.max(latest, Date.parse(c.call.calledAt)), -Infinity);
    const calledAt = Date.parse(at) > last ? at : new Date(last + 1000).toISOString();
    const call: DisplayCall = { callId: newCallId(), ticketNumber: ticket.ticketNumber, roomName: ticket.roomName ?? '', kind, calledAt };
    calls.push({ call, ticketId: ticket.id, roomId: ticket.roomId });
    return call;
  }

  function callTicket(ticket: FakeTicket, d: (typeof doctors)[number], at: string): DisplayCall {
    Object.assign(ticket, { status: 'called', calledAt: at, doctorId: d.id, doctorName: d.fullName, roomId: d.room.id, roomName: d.room.name });
    return recordCall(ticket, 'call', at);
  }

  if (busy) {
    const done = [0, 3, 4, 8];
    done.forEach((i, n) => {
      const t = addTicket(patient(i), minutesAgo(95 - n * 12));
      callTicket(t, doctors[n % doctors.length]!, minutesAgo(80 - n * 12));
      t.status = n === 2 ? 'no_show' : 'completed';
    });
    const secondRoom = addTicket(patient(5), minutesAgo(40));
    if (doctors[1]) callTicket(secondRoom, doctors[1], minutesAgo(12));
    callTicket(addTicket(patient(1), minutesAgo(35)), doctor, minutesAgo(4));
    addTicket(patient(2), minutesAgo(30));
    addTicket(patient(9), minutesAgo(22), { priority: 2 });
    addTicket(patient(6), minutesAgo(15), { pending: true });
    addTicket(patient(7), minutesAgo(6));

    const slot = (minutesFromNow: number) => new Date(nowMs() + minutesFromNow * 60_000).toISOString();
    const appointment = (p: Patient, d: (typeof doctors)[number], startsAt: string, status: string): Appointment => ({
      id: newMiscId(),
      appointmentNumber: `AP-${appointments.length + 1001}`,
      patientId: p.id,
      patientName: p.fullName,
      nricMasked: p.nricMasked,
      doctorId: d.id,
      doctorName: d.fullName,
      startsAt,
      checkInOpensAt: new Date(Date.parse(startsAt) - 60 * 60_000).toISOString(),
      status,
    });
    appointments.push(
      appointment(patient(4), doctor, slot(-50), 'completed'),
      appointment(patient(8), otherDoctor, slot(10), 'confirmed'),
      appointment(patient(3), doctor, slot(40), 'scheduled'),
      appointment(patient(5), otherDoctor, slot(150), 'scheduled'),
    );
  }

  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  function emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of listeners.get(event) ?? []) (listener as (p: EventPayload<E>) => void)(payload);
  }
  const changed = () => emit('queue.changed', { at: nowIso() });

  const toTicket = (ticket: FakeTicket): Ticket => ({ ...ticket });
  const find = (ticketId: string): FakeTicket => {
    const ticket = tickets.find((t) => t.id === ticketId);
    if (!ticket) throw new ApiError('not_found', 'That ticket no longer exists.');
    return ticket;
  };
  const requireSession = (): Session => {
    if (!session) throw new ApiError('not_signed_in', 'Please sign in.');
    return session;
  };
  const requireDoctor = () => {
    const s = requireSession();
    const d = doctors.find((x) => x.id === s.doctor?.id);
    if (!d) throw new ApiError('forbidden', 'Only a doctor can call patients.');
    return d;
  };
  const waitingFor = (d: (typeof doctors)[number]) => orderQueue(tickets, { doctorId: d.id, now: new Date(nowMs()) });
  const currentFor = (d: (typeof doctors)[number]) => tickets.find((t) => t.status === 'called' && t.doctorId === d.id) ?? null;

  function callNext(d: (typeof doctors)[number]): FakeTicket | null {
    const next = waitingFor(d)[0];
    if (!next) return null;
    const call = callTicket(next, d, nowIso());
    changed();
    emit('display.called', call);
    return next;
  }

  function setStatus(ticketId: string, status: Ticket['status']): Ticket {
    const d = requireDoctor();
    const ticket = find(ticketId);
    if (ticket.status !== 'called' || ticket.doctorId !== d.id) {
      throw new ApiError('conflict', `Ticket ${ticket.ticketNumber} is not with ${d.room.name}.`);
    }
    if (status === 'waiting') Object.assign(ticket, { status, queuedAt: nowIso(), skipped: true, roomId: null, roomName: null, calledAt: null });
    else ticket.status = status;
    changed();
    return toTicket(ticket);
  }

  function correct(ticketId: string, allowed: Ticket['status'][], change: Partial<FakeTicket>): Ticket {
    requireSession();
    const ticket = find(ticketId);
    if (!allowed.includes(ticket.status)) throw new ApiError('conflict', `Ticket ${ticket.ticketNumber} is ${ticket.status.replace('_', ' ')}.`);
    Object.assign(ticket, change);
    changed();
    return toTicket(ticket);
  }

  type Handlers = { [M in MethodName]: (input: ReturnType<typeof parseInput<M>>) => MethodOutput<M> };
  const handlers: Handlers = {
    ...fakeDeviceHandlers(nowIso, emit),
    ...fakeStationAdminHandlers({ thisStation: station.stationCode, nowIso, session: () => session }),
    'station.info': () => station,
    'session.signIn': ({ username, password }) => {
      const user = users[username.toLowerCase()];
      if (!user || password !== FAKE_PASSWORD) throw new ApiError('not_signed_in', 'Invalid username or password.');
      session = user;
      return user;
    },
    'session.current': () => session,
    'session.signOut': () => {
      session = null;
      return { ok: true };
    },
    'patients.search': ({ query, limit, offset }) => {
      requireSession();
      const parsed = parsePatientQuery(query);
      const found =
        parsed.kind === 'none'
          ? []
          : parsed.kind === 'nric'
            ? patients.filter((p) => nricsByPatient.get(p.id) === parsed.nric)
            : patients
                .filter((p) => matchesTerms(patientSearchTerms(p), parsed.terms))
                .sort((a, b) => a.fullName.localeCompare(b.fullName, 'en', { sensitivity: 'base' }) || a.id.localeCompare(b.id));
      return { patients: found.slice(offset, offset + limit), total: found.length };
    },
    'patients.register': (input) => {
      requireSession();
      // parseInput has normalised and checked the NRIC with the contract's schema.
      const nric = input.nric;
      if ([...nricsByPatient.values()].includes(nric)) {
        throw new ApiError('conflict', `A patient with NRIC ${maskNric(nric)} is already registered.`);
      }
      const created: Patient = {
        id: newPatientId(),
        fullName: input.fullName,
        nativeName: input.nativeName ?? null,
        nricMasked: maskNric(nric),
        dateOfBirth: input.dateOfBirth,
        gender: input.gender,
        phone: input.phone ?? null,
        pending: !sync.online,
      };
      patients.push(created);
      nricsByPatient.set(created.id, nric);
      if (!sync.online) {
        sync = { ...sync, pending: sync.pending + 1 };
        emit('sync.status', sync);
      }
      return created;
    },
    'queue.issueTicket': ({ patientId, urgent, appointmentId }) => {
      requireSession();
      const p = patients.find((x) => x.id === patientId);
      if (!p) throw new ApiError('not_found', 'That patient is not registered.');
      const active = tickets.find((t) => t.patientId === p.id && (t.status === 'waiting' || t.status === 'called'));
      if (active) throw new ApiError('conflict', `${p.fullName} already has ticket ${active.ticketNumber} in today’s queue.`);
      const appointment = appointmentId ? appointments.find((a) => a.id === appointmentId) : undefined;
      if (appointmentId && !appointment) throw new ApiError('not_found', 'That appointment does not exist.');
      if (appointment && nowMs() < Date.parse(appointment.checkInOpensAt)) throw new ApiError('conflict', 'Check-in for this appointment has not opened yet.');
      const at = nowIso();
      const ticket = addTicket(p, at, {
        priority: priorityFor({ urgent, dateOfBirth: p.dateOfBirth, serviceDate: today }),
        pending: !sync.online,
        ...(appointment ? { kind: 'appointment' as const, doctorId: appointment.doctorId, dueAt: appointment.startsAt } : {}),
      });
      if (appointment) appointment.status = 'checked_in';
      changed();
      if (!sync.online) {
        sync = { ...sync, pending: sync.pending + 1 };
        emit('sync.status', sync);
      }
      return toTicket(ticket);
    },
    'queue.today': () => (requireSession(), orderForReception(tickets, nowIso()).map(toTicket)),
    'queue.mine': () => {
      const d = requireDoctor();
      const current = currentFor(d);
      return { current: current ? toTicket(current) : null, waiting: waitingFor(d).map(toTicket) };
    },
    'queue.callNext': () => {
      const next = callNext(requireDoctor());
      return next ? toTicket(next) : null;
    },
    'queue.recall': ({ ticketId }) => {
      const d = requireDoctor();
      const ticket = find(ticketId);
      if (ticket.status !== 'called' || ticket.doctorId !== d.id) throw new ApiError('conflict', `Ticket ${ticket.ticketNumber} is not with ${d.room.name}.`);
      ticket.recallCount++;
      const call = recordCall(ticket, 'recall', nowIso());
      changed();
      emit('display.called', call);
      return toTicket(ticket);
    },
    'queue.skip': ({ ticketId }) => setStatus(ticketId, 'waiting'),
    'queue.noShow': ({ ticketId }) => setStatus(ticketId, 'no_show'),
    'queue.complete': ({ ticketId }) => setStatus(ticketId, 'completed'),
    'queue.cancel': ({ ticketId, reason }) => correct(ticketId, ['waiting', 'called'], { status: 'cancelled', cancelReason: reason, roomId: null, roomName: null, calledAt: null }),
    'queue.setPriority': ({ ticketId, priority }) => correct(ticketId, ['waiting'], { priority, skipped: false }),
    'queue.assign': ({ ticketId, doctorId }) =>
      correct(ticketId, ['waiting'], { doctorId, doctorName: doctors.find((d) => d.id === doctorId)?.fullName ?? null }),
    'queue.returnToQueue': ({ ticketId }) => correct(ticketId, ['called'], { status: 'waiting', doctorId: null, doctorName: null, roomId: null, roomName: null, calledAt: null }),
    'queue.reinstate': ({ ticketId }) => correct(ticketId, ['no_show', 'cancelled'], { status: 'waiting', queuedAt: nowIso(), skipped: true, cancelReason: null }),
    'queue.checkInWindow': () => ({ minutes: checkInMinutes, canEdit: ['clinic_admin', 'chain_admin'].includes(requireSession().role) }),
    'queue.setCheckInWindow': ({ minutes }) => {
      if (!['clinic_admin', 'chain_admin'].includes(requireSession().role)) throw new ApiError('forbidden', 'Only the clinic manager can change when check-in opens.');
      checkInMinutes = minutes;
      return { minutes, canEdit: true };
    },
    'clinic.doctors': () => (requireSession(), doctors.map((d) => ({ id: d.id, fullName: d.fullName, mcrNumber: d.mcrNumber }))),
    'appointments.today': () => (requireSession(), appointments.map((a) => ({ ...a }))),
    'display.board': () => {
      const known = calls.map((c) => {
        const ticket = find(c.ticketId);
        return { ...c, ticket: { status: ticket.status, roomId: ticket.roomId } };
      });
      return {
        clinicName: clinic.name,
        ...displayBoard(known, rooms.map((room) => ({ ...room, active: true }))),
        waitingCount: tickets.filter((t) => t.status === 'waiting').length,
      };
    },
    'sync.status': () => sync,
    'sync.attention': () => attention,
    'sync.dismiss': ({ id }) => {
      attention = attention.filter((item) => item.id !== id);
      sync = { ...sync, attention: attention.length };
      emit('sync.status', sync);
      return { ok: true as const };
    },
  };

  const api = {
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
      // A tick of latency, as over IPC or HTTP, so screens never rely on synchronous answers.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const handler = handlers[method] as (parsed: unknown) => MethodOutput<M>;
      return structuredClone(handler(parseInput(method, input)));
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: never) => void);
      return () => {
        set.delete(listener as (payload: never) => void);
      };
    },
  } satisfies ClinicApi;

  return {
    api,
    emit,
    setSync(status) {
      sync = { ...sync, ...status };
      emit('sync.status', sync);
    },
    callNextFor(doctorIndex) {
      const d = doctors[doctorIndex];
      if (!d) throw new RangeError(`No doctor ${doctorIndex}`);
      const current = currentFor(d);
      if (current) current.status = 'completed';
      const next = callNext(d);
      return next ? toTicket(next) : null;
    },
    get tickets() {
      return tickets.map(toTicket);
    },
    get patients() {
      return [...patients];
    },
  };
}
