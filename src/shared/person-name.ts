/*
 * What a person's name may hold, as Singapore registers write them: letters of any script (with their accents and
 * combining marks), spaces, hyphens, apostrophes, commas, a full stop after an abbreviation (Md., Mohd.), and the
 * relation words s/o and d/o ("Rajesh Kumar s/o Subramaniam"; "bin" and "binte" are letters already). Digits, emoji,
 * markup and runs of punctuation are typing slips, not names.
 */

const RELATION = /(^|\s)[sd]\/o(?=\s|$)/giu;
const ALLOWED = /^[\p{L}\p{M} '’,.-]+$/u;
const LETTER = /\p{L}/gu;

/** One space between words, none at the ends: how people type is not part of the name. */
export function tidyName(name: string): string {
  return name.trim().replace(/\s+/gu, ' ');
}

/** Null when `name` (tidied) is a plausible name; else a sentence saying what to change. */
export function personNameProblem(name: string, label: string, limits: { min: number; max: number }): string | null {
  const tidy = tidyName(name);
  if (tidy === '') return `${label} is required.`;
  if ([...tidy].length > limits.max) return `${label} can have at most ${limits.max} characters; this one has ${[...tidy].length}. Shorten it as the patient writes it on forms.`;
  const bare = tidy.replace(RELATION, '$1');
  const unexpected = [...new Set([...bare].filter((ch) => !ALLOWED.test(ch)))];
  if (unexpected.length > 0) {
    const shown = unexpected.map((ch) => (ch === '/' ? '/ (other than in s/o or d/o)' : `"${ch}"`)).join(', ');
    return `${label} can only have letters, spaces, hyphens, apostrophes and commas (and s/o, d/o): remove ${shown}.`;
  }
  if (/[-'’,.]{2,}|(^|\s)[-'’,.]|[-'’,]$/u.test(bare)) return `${label} has punctuation where a name has letters: check "${tidy}".`;
  if (/\.(?=\p{L})/u.test(bare)) return `${label} has a full stop inside a word: check "${tidy}".`;
  if ((bare.match(LETTER) ?? []).length < limits.min) return `${label} must have at least ${limits.min} letters.`;
  return null;
}
