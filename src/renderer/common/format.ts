import { ageOn, CLINIC_TIME_ZONE } from '../../shared/clinic-day';
import type { QueueStatus, Ticket } from '../../shared/contract';
import { ageLabel } from '../../shared/sg-date';

/** Times are shown on the clinic's clock, whatever time zone the PC was set up with. */
const TIME_ZONE = CLINIC_TIME_ZONE;

const timeFormat = new Intl.DateTimeFormat('en-SG', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hour12: false });
const clockFormat = new Intl.DateTimeFormat('en-SG', { timeZone: TIME_ZONE, hour: 'numeric', minute: '2-digit', hour12: true });
const dayFormat = new Intl.DateTimeFormat('en-SG', { timeZone: TIME_ZONE, weekday: 'long', day: 'numeric', month: 'long' });

/** 14:05 */
export function formatTime(iso: string | Date): string {
  return timeFormat.format(typeof iso === 'string' ? new Date(iso) : iso);
}

/** "4 min", "1 h 05": how long someone has waited, whole minutes. */
export function formatWaited(sinceIso: string, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - Date.parse(sinceIso)) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')}`;
}

/** 2:05 pm, for the waiting-room clock. */
export function formatClock(date: Date): string {
  return clockFormat.format(date);
}

/** Monday, 3 March */
export function formatDay(date: Date): string {
  return dayFormat.format(date);
}

/** Age on the clinic day; null for a birth date after it (bad data must not take the screen down). */
export function ageAt(dateOfBirth: string, clinicDay: string): number | null {
  try {
    return ageOn(dateOfBirth, clinicDay);
  } catch {
    return null;
  }
}

/** "63 years", "14 months", "12 days" on the clinic day; null for a birth date after it, as `ageAt`. */
export function ageText(dateOfBirth: string, clinicDay: string): string | null {
  try {
    return ageLabel(dateOfBirth, clinicDay);
  } catch {
    return null;
  }
}

export const ELDERLY_AGE = 80;

export const statusLabels: Record<QueueStatus, string> = {
  waiting: 'Waiting',
  called: 'Called',
  completed: 'Completed',
  skipped: 'Skipped',
  no_show: 'No-show',
  cancelled: 'Cancelled',
};

export function priorityLabel(priority: Ticket['priority']): string | null {
  return priority === 2 ? 'Urgent' : priority === 1 ? '80+' : null;
}
