/** The clinic's settings as the centre last gave them (announcement languages…), kept for offline use. */
export const CLINIC_SETTINGS_META = 'clinic_settings';

/** Who may change clinic settings from a station. */
export const SETTINGS_ROLES = ['clinic_admin', 'chain_admin'];
