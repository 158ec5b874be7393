import type { z } from 'zod';

/** Field names whose words alone would not say what a person typed. */
const LABELS: Record<string, string> = {
  query: 'The search',
  nric: 'NRIC/FIN',
  ticketId: 'The ticket',
  patientId: 'The patient',
  appointmentId: 'The appointment',
  doctorId: 'The doctor',
  printerId: 'The printer',
  jobId: 'The print job',
  boardId: 'The board',
  dateOfBirth: 'Date of birth',
  fullName: 'Name',
  nativeName: 'Name in its own script',
};

function label(path: readonly PropertyKey[]): string {
  const key = [...path].reverse().find((p): p is string => typeof p === 'string');
  if (!key) return 'This value';
  if (LABELS[key]) return LABELS[key];
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_.]/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** zod's own wording ("Too big: expected string to have <=100 characters") is for programmers, not for the desk. */
const ZOD_DEFAULT = /^(Invalid|Too (big|small)|Unrecognized|Expected)\b/;

function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function plainWords(issue: z.core.$ZodIssue): string {
  const what = label(issue.path);
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'string'
        ? `${what} is too long: use at most ${String(issue.maximum)} characters.`
        : issue.origin === 'array'
          ? `${what} has too many entries: at most ${String(issue.maximum)}.`
          : `${what} must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}.`;
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? `${what} is required.` : `${what} is too short: use at least ${String(issue.minimum)} characters.`;
      return issue.origin === 'array'
        ? `${what} needs at least ${String(issue.minimum)} entries.`
        : `${what} must be ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}.`;
    case 'invalid_type':
      // zod leaves the input out of its issues unless asked; its message still says what it received.
      return /received undefined$/.test(issue.message) ? `${what} is missing.` : `${what} is not the right kind of value.`;
    case 'invalid_format':
      return `${what} is not in the expected format.`;
    case 'invalid_union':
      return `${what} is not one of the allowed values.`;
    case 'invalid_value':
      return `${what} must be one of: ${issue.values.map(String).join(', ')}.`;
    case 'unrecognized_keys':
      return `Unexpected ${issue.keys.length === 1 ? 'field' : 'fields'}: ${issue.keys.join(', ')}.`;
    default:
      return `${what}: ${sentence(issue.message)}`;
  }
}

/** One problem as a plain sentence naming the field in words; messages the schemas wrote themselves are kept as written. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  return ZOD_DEFAULT.test(issue.message) ? plainWords(issue) : sentence(issue.message);
}

export function describeIssues(error: z.ZodError): string {
  return error.issues.map(describeIssue).join(' ');
}

/** The first problem of each top-level field, for a form to show beside its input. */
export function problemsByField(error: z.ZodError): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? '');
    problems[field] ??= describeIssue(issue);
  }
  return problems;
}

/** For files and messages between programs, read by IT: each problem with where it is (stations.2.role: …). */
export function describeIssuesWithPaths(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${describeIssue(issue)}` : describeIssue(issue))).join(' ');
}
