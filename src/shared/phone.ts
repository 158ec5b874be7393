/*
 * Phone numbers as a Singapore desk hears them, stored one way (E.164, "+6591234567") so an SMS reminder, a search
 * by number and a duplicate check all see the same string, and shown one way ("+65 9123 4567").
 *
 * Singapore numbers have 8 digits; the first is 3 (VoIP), 6 (fixed line), 8 or 9 (mobile) (IMDA National Numbering
 * Plan). Anything else needs its country code after a "+" (E.164: at most 15 digits, the country code never
 * starting with 0). The central database applies the same rules (migration 022, clinic.e164_phone).
 */

const SINGAPORE = '65';
const SINGAPORE_NUMBER = /^[3689]\d{7}$/;
/** What people put between digits when they write a number down: spaces, hyphens, dots, brackets. */
const SEPARATORS = /[\s().-]/g;
/** At least 8 digits, as the centre's SMS and WhatsApp tables require (migration 007). */
const INTERNATIONAL = /^[1-9]\d{7,14}$/;

const EXAMPLES = 'e.g. 9123 4567, or +60 12 345 6789 for a number abroad';

export type PhoneParse = { ok: true; e164: string } | { ok: false; problem: string };

/** What was typed, as E.164, or a sentence saying what to change. `input` is not blank. */
export function parsePhone(input: string): PhoneParse {
  const compact = input.trim().replace(SEPARATORS, '');
  const international = compact.startsWith('+');
  const digits = international ? compact.slice(1) : compact;
  if (!/^\d+$/.test(digits)) {
    return { ok: false, problem: `Phone can only have digits, spaces, hyphens and a leading +, ${EXAMPLES}.` };
  }
  if (international) {
    if (digits.startsWith(SINGAPORE)) return singapore(digits.slice(SINGAPORE.length), ' after +65');
    if (INTERNATIONAL.test(digits)) return { ok: true, e164: `+${digits}` };
    return { ok: false, problem: 'Phone: after the + come the country code and the number, 8 to 15 digits in all, e.g. +60 12 345 6789.' };
  }
  // "65 9123 4567" is a Singapore number written with its country code but without the +.
  if (digits.length === 10 && digits.startsWith(SINGAPORE) && SINGAPORE_NUMBER.test(digits.slice(2))) return singapore(digits.slice(2));
  return singapore(digits);
}

function singapore(national: string, where = ''): PhoneParse {
  if (SINGAPORE_NUMBER.test(national)) return { ok: true, e164: `+${SINGAPORE}${national}` };
  if (national.length !== 8) {
    return { ok: false, problem: `Phone: a Singapore number has 8 digits${where}, this one has ${national.length}; ${EXAMPLES}.` };
  }
  return { ok: false, problem: `Phone: a Singapore number starts with 3, 6, 8 or 9, not ${national[0]}; ${EXAMPLES}.` };
}

/** "+6591234567" as "+65 9123 4567"; other numbers as stored, since only the country code says where to group them. */
export function formatPhone(stored: string): string {
  const parsed = parsePhone(stored);
  if (!parsed.ok) return stored;
  const m = /^\+65(\d{4})(\d{4})$/.exec(parsed.e164);
  return m ? `+65 ${m[1]} ${m[2]}` : parsed.e164;
}
