import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode, type RefObject } from 'react';
import type { Patient } from '../../../shared/contract';
import { genderLabel } from '../../../shared/patient';
import { formatPhone } from '../../../shared/phone';
import { errorMessage } from '../../common/api';
import { PendingMarker } from '../../common/components';
import { ageAt, ageText, ELDERLY_AGE } from '../../common/format';
import { useApi } from '../../common/hooks';

/** Long enough to skip the keystrokes of a fast typist, short enough to feel instant. */
const DEBOUNCE_MS = 120;
/** One page: what fits the list without scrolling far; more come on request. */
const PAGE = 20;

interface Results {
  query: string;
  patients: Patient[];
  /** How many match in all, of which `patients` are the pages fetched so far. */
  total: number;
  error: string | null;
}

export function PatientSearch({
  query,
  onQueryChange,
  selectedId,
  onSelect,
  today,
  inputRef,
  action,
}: {
  query: string;
  onQueryChange: (query: string) => void;
  selectedId: string | null;
  onSelect: (patient: Patient) => void;
  today: string;
  inputRef: RefObject<HTMLInputElement | null>;
  /** Sits beside the label, e.g. the register button, so results get the full width. */
  action?: ReactNode;
}) {
  const api = useApi();
  const [results, setResults] = useState<Results>({ query: '', patients: [], total: 0, error: null });
  const [active, setActive] = useState(0);
  const [loadingMore, setLoadingMore] = useState(false);
  const latest = useRef(0);
  const list = useRef<HTMLDivElement>(null);
  const trimmed = query.trim();

  useEffect(() => {
    if (!trimmed) return;
    const mine = ++latest.current;
    const timer = window.setTimeout(() => {
      api.call('patients.search', { query: trimmed, limit: PAGE }).then(
        ({ patients, total }) => {
          if (mine !== latest.current) return;
          setResults({ query: trimmed, patients, total, error: null });
          setActive(0);
        },
        (e: unknown) => {
          if (mine === latest.current) setResults((r) => ({ ...r, query: trimmed, error: errorMessage(e) }));
        },
      );
    }, DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [api, trimmed]);

  const shown = trimmed ? results.patients : [];
  const settled = results.query === trimmed;
  const more = settled && !results.error ? results.total - shown.length : 0;

  function showMore() {
    const mine = latest.current;
    const firstNew = shown.length;
    setLoadingMore(true);
    api
      .call('patients.search', { query: results.query, limit: PAGE, offset: firstNew })
      .then(
        ({ patients, total }) => {
          if (mine !== latest.current) return;
          // A patient registered meanwhile can shift the pages by one: never list anyone twice.
          setResults((r) => {
            const seen = new Set(r.patients.map((p) => p.id));
            return { ...r, patients: [...r.patients, ...patients.filter((p) => !seen.has(p.id))], total };
          });
          // The arrow keys and the eye carry on from the first patient just added, not from the top.
          setActive(firstNew);
          requestAnimationFrame(() => list.current?.querySelectorAll('[role="option"]')[firstNew]?.scrollIntoView({ block: 'nearest' }));
        },
        (e: unknown) => {
          if (mine === latest.current) setResults((r) => ({ ...r, error: errorMessage(e) }));
        },
      )
      .finally(() => setLoadingMore(false));
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      setActive((i) => Math.min(i + 1, shown.length - 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((i) => Math.max(i - 1, 0));
    } else if (event.key === 'Enter') {
      // The list still shows the last query's answer until this one's arrives: Enter must not pick from it.
      const patient = settled ? shown[active] : undefined;
      if (patient) onSelect(patient);
    } else if (event.key === 'Escape') {
      onQueryChange('');
    }
  }

  return (
    <div className="search">
      <div className="search-head">
        <label className="search-label" htmlFor="patient-search">
          Find patient
        </label>
        {action}
      </div>
      <input
        id="patient-search"
        ref={inputRef}
        className="input input-search"
        type="search"
        placeholder="Name, 中文名, NRIC ending (567D) or phone"
        autoComplete="off"
        spellCheck={false}
        value={query}
        onChange={(e) => onQueryChange(e.target.value)}
        onKeyDown={onKeyDown}
        aria-controls={trimmed ? 'search-results' : undefined}
        data-testid="search-input"
      />
      {trimmed && (
        <div className="search-results" id="search-results" role="listbox" aria-label="Patients found" aria-busy={!settled} data-settled={settled} ref={list}>
          {results.error && settled && (
            <div className="error-message" role="alert" data-testid="search-error">
              {results.error}
            </div>
          )}
          {!results.error && settled && shown.length === 0 && (
            <div className="empty">No patient matches “{trimmed}”. Check the spelling or register a new patient.</div>
          )}
          {shown.map((patient, index) => {
            const age = ageAt(patient.dateOfBirth, today);
            return (
              <button
                type="button"
                role="option"
                aria-selected={patient.id === selectedId}
                key={patient.id}
                className={`result ${index === active ? 'result-active' : ''} ${patient.id === selectedId ? 'result-selected' : ''}`}
                onClick={() => onSelect(patient)}
                onMouseEnter={() => setActive(index)}
                data-testid="search-result"
                data-patient-id={patient.id}
              >
                <span className="result-names">
                  <span className="result-name">{patient.fullName}</span>
                  {patient.nativeName && <span className="result-native">{patient.nativeName}</span>}
                </span>
                <span className="result-nric">{patient.nricMasked}</span>
                <span className="result-age">
                  {ageText(patient.dateOfBirth, today) ?? '?'} · {genderLabel(patient.gender)}
                  {age !== null && age >= ELDERLY_AGE && <span className="badge badge-elderly">80+</span>}
                </span>
                <span className="result-phone">{patient.phone ? formatPhone(patient.phone) : '—'}</span>
                {patient.pending && <PendingMarker what="registration" />}
              </button>
            );
          })}
        </div>
      )}
      {trimmed && more > 0 && (
        <div className="search-more" data-testid="search-more">
          <span>
            Showing {shown.length} of {results.total}
          </span>
          <button type="button" className="btn btn-secondary" onClick={showMore} disabled={loadingMore} data-testid="search-show-more">
            {loadingMore ? 'Loading…' : `Show ${Math.min(PAGE, more)} more`}
          </button>
        </div>
      )}
    </div>
  );
}
