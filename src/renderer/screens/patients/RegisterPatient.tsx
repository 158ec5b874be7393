import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, methods, type Patient } from '../../../shared/contract';
import type { PatientRegistration as RegisterPatientInput } from '../../../shared/patient';
import { describeNricProblem, isValidNric, normalizeNric } from '../../../shared/nric';
import { errorMessage } from '../../common/api';
import { ageAt } from '../../common/format';
import { useApi } from '../../common/hooks';

type Field = 'nric' | 'fullName' | 'nativeName' | 'dateOfBirth' | 'gender' | 'phone';
type Form = Record<Field, string>;
type Problems = Partial<Record<Field, string>>;

const EMPTY: Form = { nric: '', fullName: '', nativeName: '', dateOfBirth: '', gender: '', phone: '' };
const NRIC_LENGTH = 9;
const OLDEST_AGE = 130;

function nricProblem(nric: string): string | null {
  if (!nric.trim()) return 'NRIC/FIN is required.';
  return describeNricProblem(nric);
}

function check(form: Form, today: string): Problems {
  const problems: Problems = {};
  const nric = nricProblem(form.nric);
  if (nric) problems.nric = nric;
  if (form.fullName.trim().length < 2) problems.fullName = 'Full name is required.';
  if (!form.dateOfBirth) problems.dateOfBirth = 'Date of birth is required.';
  else if (form.dateOfBirth > today) problems.dateOfBirth = 'Date of birth cannot be in the future.';
  else if ((ageAt(form.dateOfBirth, today) ?? 0) > OLDEST_AGE) problems.dateOfBirth = 'Check the year of birth.';
  if (!form.gender) problems.gender = 'Choose a gender.';
  if (form.phone.trim() && !/^\+?[0-9 ]{8,15}$/.test(form.phone.trim())) problems.phone = 'Phone must be 8 to 15 digits.';
  return problems;
}

function toInput(form: Form): RegisterPatientInput {
  return {
    nric: normalizeNric(form.nric),
    fullName: form.fullName.trim(),
    nativeName: form.nativeName.trim() || undefined,
    dateOfBirth: form.dateOfBirth,
    gender: form.gender as RegisterPatientInput['gender'],
    phone: form.phone.trim() || undefined,
  };
}

/** The contract has the last word: anything it rejects that the checks above let through lands beside its field. */
function contractProblems(input: RegisterPatientInput): Problems {
  const result = methods['patients.register'].input.safeParse(input);
  if (result.success) return {};
  const problems: Problems = {};
  for (const issue of result.error.issues) {
    const field = issue.path[0] as Field | undefined;
    if (field && field in EMPTY && !problems[field]) problems[field] = issue.message;
  }
  return problems;
}

export function RegisterPatient({
  today,
  onClose,
  onRegistered,
  onFindExisting,
}: {
  today: string;
  onClose: () => void;
  onRegistered: (patient: Patient) => void;
  /** Searches for an already-registered patient by the NRIC's last four characters. */
  onFindExisting: (nricTail: string) => void;
}) {
  const api = useApi();
  const [form, setForm] = useState<Form>(EMPTY);
  const [touched, setTouched] = useState<Partial<Record<Field, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [duplicate, setDuplicate] = useState(false);
  const [contractIssues, setContractIssues] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);

  useEffect(() => {
    first.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const problems = check(form, today);
  const show = (field: Field) => (submitted || touched[field] ? (problems[field] ?? contractIssues[field]) : undefined);
  // The NRIC is checked live once it is long enough to judge, so a wrong check letter shows before submitting.
  const nricShown = show('nric') ?? (form.nric.trim().length >= NRIC_LENGTH ? problems.nric : undefined);
  const nricOk = isValidNric(form.nric);

  const set = (field: Field) => (value: string) => {
    setForm((f) => ({ ...f, [field]: value }));
    setContractIssues((c) => ({ ...c, [field]: undefined }));
    setServerError(null);
    setDuplicate(false);
  };
  const blur = (field: Field) => () => setTouched((t) => ({ ...t, [field]: true }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(problems).length > 0) return;
    const input = toInput(form);
    const contract = contractProblems(input);
    setContractIssues(contract);
    if (Object.keys(contract).length > 0) return;
    setBusy(true);
    setServerError(null);
    try {
      onRegistered(await api.call('patients.register', input));
    } catch (e) {
      setServerError(errorMessage(e));
      setDuplicate(e instanceof ApiError && e.code === 'conflict');
      setBusy(false);
    }
  }

  return (
    <div className="overlay" role="presentation" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <form className="dialog" role="dialog" aria-modal="true" aria-labelledby="register-title" onSubmit={submit} noValidate>
        <div className="dialog-head">
          <h2 id="register-title">Register patient</h2>
          <button type="button" className="btn btn-quiet" onClick={onClose} aria-label="Close">
            Close
          </button>
        </div>

        <div className="form-grid">
          <FieldBox name="nric" label="NRIC / FIN" problem={nricShown} ok={nricOk ? 'Valid check letter' : undefined} span>
            <input
              ref={first}
              className="input input-mono"
              value={form.nric}
              maxLength={12}
              autoComplete="off"
              spellCheck={false}
              placeholder="S1234567D"
              onChange={(e) => set('nric')(e.target.value.toUpperCase())}
              onBlur={blur('nric')}
              aria-invalid={Boolean(nricShown)}
              data-testid="register-nric"
            />
          </FieldBox>
          <FieldBox name="name" label="Full name (as in NRIC)" problem={show('fullName')} span>
            <input
              className="input"
              value={form.fullName}
              maxLength={120}
              autoComplete="off"
              onChange={(e) => set('fullName')(e.target.value)}
              onBlur={blur('fullName')}
              aria-invalid={Boolean(show('fullName'))}
              data-testid="register-name"
            />
          </FieldBox>
          <FieldBox name="native-name" label="Name in own script (optional)" problem={show('nativeName')} span>
            <input
              className="input"
              value={form.nativeName}
              maxLength={60}
              autoComplete="off"
              placeholder="e.g. 陈伟明"
              onChange={(e) => set('nativeName')(e.target.value)}
              onBlur={blur('nativeName')}
              data-testid="register-native-name"
            />
          </FieldBox>
          <FieldBox name="dob" label="Date of birth" problem={show('dateOfBirth')}>
            <input
              className="input"
              type="date"
              value={form.dateOfBirth}
              max={today}
              onChange={(e) => set('dateOfBirth')(e.target.value)}
              onBlur={blur('dateOfBirth')}
              aria-invalid={Boolean(show('dateOfBirth'))}
              data-testid="register-dob"
            />
          </FieldBox>
          <FieldBox name="gender" label="Gender" problem={show('gender')}>
            <select
              className="input"
              value={form.gender}
              onChange={(e) => set('gender')(e.target.value)}
              onBlur={blur('gender')}
              aria-invalid={Boolean(show('gender'))}
              data-testid="register-gender"
            >
              <option value="">Choose…</option>
              <option value="female">Female</option>
              <option value="male">Male</option>
              <option value="other">Other</option>
            </select>
          </FieldBox>
          <FieldBox name="phone" label="Mobile phone (optional)" problem={show('phone')} span>
            <input
              className="input"
              type="tel"
              value={form.phone}
              maxLength={16}
              autoComplete="off"
              placeholder="9123 4567"
              onChange={(e) => set('phone')(e.target.value)}
              onBlur={blur('phone')}
              aria-invalid={Boolean(show('phone'))}
              data-testid="register-phone"
            />
          </FieldBox>
        </div>

        {serverError && (
          <div className="error-message error-block" role="alert" data-testid="register-error">
            <span>{serverError}</span>
            {duplicate && (
              <button type="button" className="btn btn-secondary" onClick={() => onFindExisting(normalizeNric(form.nric).slice(-4))}>
                Find this patient
              </button>
            )}
          </div>
        )}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary btn-large" disabled={busy} data-testid="register-submit">
            {busy ? 'Registering…' : 'Register patient'}
          </button>
        </div>
      </form>
    </div>
  );
}

function FieldBox({
  name,
  label,
  problem,
  ok,
  span,
  children,
}: {
  /** Names the problem's test id, register-<name>-problem, beside the input's register-<name>. */
  name: string;
  label: string;
  problem: string | null | undefined;
  ok?: string | undefined;
  span?: boolean;
  children: ReactNode;
}) {
  return (
    <label className={`field ${span ? 'field-span' : ''} ${problem ? 'field-invalid' : ''}`}>
      <span className="field-label">{label}</span>
      {children}
      {problem ? (
        <span className="field-problem" role="alert" data-testid={`register-${name}-problem`}>
          {problem}
        </span>
      ) : ok ? (
        <span className="field-ok">✓ {ok}</span>
      ) : null}
    </label>
  );
}
