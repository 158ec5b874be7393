import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect, useMemo, useRef, useState, type ChangeEvent, type ReactNode } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import { ApiError, type Patient } from '../../../shared/contract';
import { normalizeNric } from '../../../shared/nric';
import { patientRegistrationFormSchema, type PatientRegistration, type PatientRegistrationInput } from '../../../shared/patient';
import { formatPhone, parsePhone } from '../../../shared/phone';
import { DATE_EXAMPLE, formatDayMonthYear, parseDayMonthYear } from '../../../shared/sg-date';
import { errorMessage } from '../../common/api';
import { DiscardConfirm, useDialog } from '../../common/dialog';
import { useApi } from '../../common/hooks';

const NRIC_LENGTH = 9;

/** Gender starts unset so the select shows "Choose…" and the schema asks for one. */
const EMPTY: Partial<PatientRegistrationInput> = { nric: '', fullName: '', nativeName: '', dateOfBirth: '', phone: '' };

/** An NRIC shows in capitals as it is typed; the caret stays where it was. */
function upperCaseInPlace(event: ChangeEvent<HTMLInputElement>): void {
  const input = event.target;
  const upper = input.value.toUpperCase();
  if (upper === input.value) return;
  const { selectionStart, selectionEnd } = input;
  input.value = upper;
  input.setSelectionRange(selectionStart, selectionEnd);
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
  // The contract's own rules, judged on the clinic day this screen shows, with the date of birth typed dd/mm/yyyy.
  const schema = useMemo(() => patientRegistrationFormSchema(() => today), [today]);
  const {
    register,
    handleSubmit,
    control,
    setFocus,
    getValues,
    setValue,
    formState: { errors, isSubmitting, dirtyFields },
  } = useForm<PatientRegistrationInput, unknown, PatientRegistration>({
    resolver: zodResolver(schema),
    // A field speaks up once left (or on submit), then follows every keystroke: no scolding mid-word.
    mode: 'onTouched',
    defaultValues: EMPTY,
  });
  const [serverError, setServerError] = useState<{ message: string; duplicate: boolean } | null>(null);
  const nric = useWatch({ control, name: 'nric' }) ?? '';

  useEffect(() => {
    setFocus('nric');
  }, [setFocus]);

  const formRef = useRef<HTMLFormElement>(null);
  const dialog = useDialog(formRef, { onClose, dirty: () => Object.keys(dirtyFields).length > 0 });

  // What the station refused answers the values sent; once any of them changes it no longer applies.
  const field = (name: keyof PatientRegistrationInput) => register(name, { onChange: () => setServerError(null) });
  const nricField = field('nric');
  const dobField = field('dateOfBirth');
  const phoneField = field('phone');

  // Once left, a value that was read is shown as it will be kept (7/3/1958 as 07/03/1958, 91234567 as
  // +65 9123 4567), so the desk sees the day and the country the station understood.
  const tidyDateOfBirth = (typed: string) => {
    const parsed = parseDayMonthYear(typed, 'Date of birth');
    if (parsed.ok && formatDayMonthYear(parsed.iso) !== typed) setValue('dateOfBirth', formatDayMonthYear(parsed.iso));
  };
  const tidyPhone = (typed: string) => {
    const parsed = typed.trim() === '' ? null : parsePhone(typed);
    if (parsed?.ok && formatPhone(parsed.e164) !== typed) setValue('phone', formatPhone(parsed.e164));
  };

  // The NRIC is checked live once it is long enough to judge, so a wrong check letter shows before leaving the box.
  const nricLive = nric.trim().length >= NRIC_LENGTH ? schema.shape.nric.safeParse(nric) : null;
  const nricShown = errors.nric?.message ?? nricLive?.error?.issues[0]?.message;

  const submit = handleSubmit(async (registration) => {
    setServerError(null);
    try {
      onRegistered(await api.call('patients.register', registration));
    } catch (e) {
      setServerError({ message: errorMessage(e), duplicate: e instanceof ApiError && e.code === 'conflict' });
    }
  });

  return (
    <div className="overlay" role="presentation" onMouseDown={(e) => e.target === e.currentTarget && dialog.requestClose()}>
      <form ref={formRef} className="dialog" role="dialog" aria-modal="true" aria-labelledby="register-title" onSubmit={(e) => void submit(e)} noValidate>
        <div className="dialog-head">
          <h2 id="register-title">Register patient</h2>
          <button type="button" className="btn btn-quiet" onClick={dialog.requestClose} aria-label="Close">
            Close
          </button>
        </div>

        <div className="form-grid">
          <FieldBox name="nric" label="NRIC / FIN" problem={nricShown} ok={nricLive?.success ? 'Valid check letter' : undefined} span>
            <input
              {...nricField}
              onChange={(e) => {
                upperCaseInPlace(e);
                return nricField.onChange(e);
              }}
              className="input input-mono"
              maxLength={12}
              autoComplete="off"
              spellCheck={false}
              placeholder="S1234567D"
              aria-invalid={Boolean(nricShown)}
              data-testid="register-nric"
            />
          </FieldBox>
          <FieldBox name="name" label="Full name (as in NRIC)" problem={errors.fullName?.message} span>
            <input
              {...field('fullName')}
              className="input"
              // Above the rule's limit, so a pasted name that is too long is told about, not cut short.
              maxLength={240}
              autoComplete="off"
              aria-invalid={Boolean(errors.fullName)}
              data-testid="register-name"
            />
          </FieldBox>
          <FieldBox name="native-name" label="Name in own script (optional)" problem={errors.nativeName?.message} span>
            <input
              {...field('nativeName')}
              className="input"
              maxLength={120}
              autoComplete="off"
              placeholder="e.g. 陈伟明"
              aria-invalid={Boolean(errors.nativeName)}
              data-testid="register-native-name"
            />
          </FieldBox>
          <FieldBox name="dob" label="Date of birth (dd/mm/yyyy)" problem={errors.dateOfBirth?.message}>
            <input
              {...dobField}
              onBlur={(e) => {
                tidyDateOfBirth(e.target.value);
                return dobField.onBlur(e);
              }}
              className="input"
              inputMode="numeric"
              maxLength={12}
              autoComplete="off"
              placeholder={`e.g. ${DATE_EXAMPLE}`}
              aria-invalid={Boolean(errors.dateOfBirth)}
              data-testid="register-dob"
            />
          </FieldBox>
          <FieldBox name="gender" label="Gender" problem={errors.gender?.message}>
            <select {...field('gender')} className="input" aria-invalid={Boolean(errors.gender)} data-testid="register-gender">
              <option value="">Choose…</option>
              <option value="female">Female</option>
              <option value="male">Male</option>
              <option value="other">Other</option>
            </select>
          </FieldBox>
          <FieldBox name="phone" label="Phone (optional)" problem={errors.phone?.message} span>
            <input
              {...phoneField}
              onBlur={(e) => {
                tidyPhone(e.target.value);
                return phoneField.onBlur(e);
              }}
              className="input"
              type="tel"
              maxLength={20}
              autoComplete="off"
              placeholder="9123 4567, or +60 12 345 6789 abroad"
              aria-invalid={Boolean(errors.phone)}
              data-testid="register-phone"
            />
          </FieldBox>
        </div>

        {serverError && (
          <div className="error-message error-block" role="alert" data-testid="register-error">
            <span>{serverError.message}</span>
            {serverError.duplicate && (
              <button type="button" className="btn btn-secondary" onClick={() => onFindExisting(normalizeNric(getValues('nric')).slice(-4))}>
                Find this patient
              </button>
            )}
          </div>
        )}
        {dialog.confirming && <DiscardConfirm what="the registration you started" onKeep={dialog.keepEditing} onDiscard={dialog.discard} />}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={dialog.requestClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary btn-large" disabled={isSubmitting} data-testid="register-submit">
            {isSubmitting ? 'Registering…' : 'Register patient'}
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
