import { useState, type FormEvent } from 'react';
import { firstRunInputSchema, type FirstRunApi, type FirstRunResult } from '../../../shared/first-run-contract';
import { errorMessage } from '../../common/api';

const roleNames: Record<FirstRunResult['role'], string> = { reception: 'reception desk', consult: 'consult room', display: 'waiting-room display' };

/**
 * A PC's first start: the gateway's address, the chain's CA when its certificate is private, and the one-time code
 * the clinic manager made on the Stations screen. Each field is checked as the centre would before anything is sent.
 */
export function FirstRun({ api }: { api: FirstRunApi }) {
  const [gatewayUrl, setGatewayUrl] = useState('https://');
  const [code, setCode] = useState('');
  const [gatewayCaPem, setGatewayCaPem] = useState('');
  const [showCa, setShowCa] = useState(false);
  const [problems, setProblems] = useState<Partial<Record<'gatewayUrl' | 'code' | 'gatewayCaPem', string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [enrolled, setEnrolled] = useState<FirstRunResult | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const checked = firstRunInputSchema.safeParse({ gatewayUrl, code, gatewayCaPem });
    if (!checked.success) {
      const found: typeof problems = {};
      for (const issue of checked.error.issues) {
        const field = issue.path[0] as keyof typeof problems;
        found[field] ??= issue.message;
      }
      setProblems(found);
      setError(null);
      return;
    }
    setProblems({});
    setError(null);
    setBusy(true);
    try {
      setEnrolled(await api.enrol({ gatewayUrl, code, gatewayCaPem }));
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  if (enrolled) {
    return (
      <main className="signin first-run">
        <div className="signin-card" data-testid="first-run-done">
          <div className="signin-clinic">{enrolled.clinicName}</div>
          <h1>This PC is enrolled</h1>
          <p>
            It is the {roleNames[enrolled.role]} station <strong>{enrolled.stationCode}</strong>. Opening it now…
          </p>
        </div>
      </main>
    );
  }

  return (
    <main className="signin first-run">
      <form className="signin-card first-run-card" onSubmit={submit} noValidate>
        <div className="signin-clinic">Gabriel Clinic Workstation</div>
        <h1>Set up this PC</h1>
        <p className="first-run-intro">
          Your clinic manager makes a one-time code for this PC on the <strong>Stations</strong> screen at reception. Enter it here with the gateway address shown beside it.
        </p>
        <label className="field">
          <span className="field-label">Gateway address</span>
          <input
            className="input"
            inputMode="url"
            autoFocus
            spellCheck={false}
            value={gatewayUrl}
            onChange={(e) => setGatewayUrl(e.target.value)}
            aria-invalid={problems.gatewayUrl ? true : undefined}
            data-testid="first-run-gateway"
          />
          {problems.gatewayUrl && <span className="field-problem" data-testid="first-run-gateway-problem">{problems.gatewayUrl}</span>}
        </label>
        <label className="field">
          <span className="field-label">Enrolment code</span>
          <input
            className="input first-run-code"
            autoComplete="off"
            spellCheck={false}
            placeholder="XXXX-XXXX-XXXX-XXXX"
            value={code}
            onChange={(e) => setCode(e.target.value.toUpperCase())}
            aria-invalid={problems.code ? true : undefined}
            data-testid="first-run-code"
          />
          {problems.code && <span className="field-problem" data-testid="first-run-code-problem">{problems.code}</span>}
        </label>
        {showCa ? (
          <label className="field">
            <span className="field-label">The chain&apos;s CA certificate (PEM)</span>
            <textarea
              className="input first-run-ca"
              spellCheck={false}
              rows={6}
              placeholder="-----BEGIN CERTIFICATE-----"
              value={gatewayCaPem}
              onChange={(e) => setGatewayCaPem(e.target.value)}
              aria-invalid={problems.gatewayCaPem ? true : undefined}
              data-testid="first-run-ca"
            />
            {problems.gatewayCaPem && <span className="field-problem">{problems.gatewayCaPem}</span>}
          </label>
        ) : (
          <button type="button" className="btn btn-quiet first-run-ca-toggle" onClick={() => setShowCa(true)} data-testid="first-run-ca-open">
            Our gateway has a private certificate…
          </button>
        )}
        {error && (
          <p className="error-message" role="alert" data-testid="first-run-error">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block btn-large" disabled={busy} data-testid="first-run-submit">
          {busy ? 'Enrolling…' : 'Enrol this PC'}
        </button>
      </form>
    </main>
  );
}
