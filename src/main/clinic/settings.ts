/** The clinic's settings as the centre last gave them (announcement languages…), kept for offline use. */
export const CLINIC_SETTINGS_META = 'clinic_settings';

/** Who may change clinic settings from a station. */
export const SETTINGS_ROLES = ['clinic_admin', 'chain_admin'];

/** Minutes before an appointment its patient may check in; the centre's default until the first settings arrive. */
export const CHECK_IN_OPENS_SETTING = 'queue.check_in_opens_minutes';
const CHECK_IN_OPENS_DEFAULT = 60;

export function checkInOpensMinutes(settingsJson: string | null): number {
  let value: unknown;
  try {
    value = settingsJson ? (JSON.parse(settingsJson) as Record<string, unknown>)[CHECK_IN_OPENS_SETTING] : undefined;
  } catch {
    value = undefined;
  }
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 720 ? value : CHECK_IN_OPENS_DEFAULT;
}

/** When check-in opens for an appointment starting at `startsAt` (ISO). */
export function checkInOpensAt(startsAt: string, settingsJson: string | null): Date {
  return new Date(Date.parse(startsAt) - checkInOpensMinutes(settingsJson) * 60_000);
}
