import { useState, type FormEvent, type ReactNode } from 'react';
import { announcementLanguages, languageNames, type AnnouncementLanguage } from '../../../shared/announcement';
import type { DocumentPreview, PrinterInfo, PrintJob } from '../../../shared/devices-contract';
import { errorMessage } from '../../common/api';
import { useApi, useLoad, useStationEvent } from '../../common/hooks';

/**
 * Printers, queue boards and voice calls of this station: discover serial ports, add a network
 * printer, choose paper width, preview and test print, watch status live, reprint or cancel jobs.
 */

/** Like components' ErrorMessage; kept here because the header (in components) opens this screen. */
function ErrorMessage({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <div className="error-message" role="alert" data-testid={testId}>
      {children}
    </div>
  );
}

function svgUrl(svg: string): string {
  // The screens' policy allows images from data: URLs only, so the preview travels as one.
  return `data:image/svg+xml;base64,${btoa(String.fromCharCode(...new TextEncoder().encode(svg)))}`;
}

export function PreviewImage({ preview, label }: { preview: DocumentPreview; label: string }) {
  return <img className="print-preview" src={svgUrl(preview.svg)} alt={preview.text} title={label} data-testid="print-preview" />;
}

const stateTone: Record<PrinterInfo['state'], string> = {
  ready: 'ok',
  paper_near_end: 'warn',
  paper_out: 'bad',
  cover_open: 'bad',
  offline: 'bad',
  error: 'bad',
  connecting: 'warn',
};

/** A button for the header: opens the device settings over the current screen. */
export function DevicesButton({ quiet = false }: { quiet?: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className={`btn ${quiet ? 'btn-ghost-dark' : 'btn-quiet'}`} onClick={() => setOpen(true)} data-testid="devices-open">
        Devices
      </button>
      {open && (
        <div className="devices-overlay" role="dialog" aria-label="Devices" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <Devices onClose={() => setOpen(false)} />
        </div>
      )}
    </>
  );
}

export function Devices({ onClose }: { onClose: () => void }) {
  return (
    <div className="devices" data-testid="devices">
      <header className="devices-head">
        <h1>Devices</h1>
        <button type="button" className="btn" onClick={onClose} data-testid="devices-close">
          Close
        </button>
      </header>
      <div className="devices-grid">
        <Printers />
        <PrintJobs />
        <Voice />
        <Boards />
      </div>
    </div>
  );
}

function Printers() {
  const api = useApi();
  const printers = useLoad(() => api.call('printers.list', {}));
  const [document, setDocument] = useState<PrintJob['document']>('test');
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const preview = useLoad(() => api.call('printers.preview', { document, printerId: selected }));
  const [error, setError] = useState<string | null>(null);
  useStationEvent('printer.status', printers.reload);

  async function act(work: () => Promise<unknown>) {
    setError(null);
    try {
      await work();
      printers.reload();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <section className="card devices-card">
      <h2>Printers</h2>
      {printers.error && <ErrorMessage>{printers.error}</ErrorMessage>}
      <ul className="printer-list">
        {printers.data?.map((p) => (
          <li key={p.id} className="printer-row" data-testid="printer-row" data-state={p.state} data-printer-name={p.name}>
            <label className="printer-pick">
              <input type="radio" name="printer" checked={(selected ?? printers.data?.find((x) => x.isDefault)?.id) === p.id} onChange={() => setSelected(p.id)} />
              <span className="printer-name">{p.name}</span>
            </label>
            <span className="printer-address">
              {p.kind === 'virtual' ? 'No hardware: keeps every job as files' : p.address} · {p.paperWidth} mm · {p.encoding === 'gb18030' ? 'Chinese (GB18030)' : 'Latin only'}
            </span>
            <span className={`printer-state printer-state-${stateTone[p.state]}`} data-testid="printer-state">
              {p.message}
              {p.waiting > 0 && ` · ${p.waiting} waiting`}
            </span>
            <span className="printer-actions">
              {p.isDefault ? (
                <span className="badge">Default</span>
              ) : (
                <button type="button" className="btn btn-small" onClick={() => act(() => api.call('printers.setDefault', { printerId: p.id }))}>
                  Make default
                </button>
              )}
              <button type="button" className="btn btn-small" data-testid="test-print" onClick={() => act(() => api.call('printers.print', { document: 'test', printerId: p.id }))}>
                Test print
              </button>
              {p.kind !== 'virtual' && (
                <button type="button" className="btn btn-small btn-danger-quiet" onClick={() => act(() => api.call('printers.remove', { printerId: p.id }))}>
                  Remove
                </button>
              )}
            </span>
          </li>
        ))}
      </ul>
      {error && <ErrorMessage testId="printer-error">{error}</ErrorMessage>}
      <div className="preview-block">
        <div className="preview-controls">
          <label>
            Preview{' '}
            <select value={document} onChange={(e) => setDocument(e.target.value as PrintJob['document'])} data-testid="preview-document">
              <option value="test">Test page</option>
              <option value="receipt">Receipt (sample)</option>
            </select>
          </label>
          <button type="button" className="btn btn-primary btn-small" data-testid="print-previewed" onClick={() => act(() => api.call('printers.print', { document, printerId: selected }))}>
            Print this
          </button>
        </div>
        {preview.error && <ErrorMessage>{preview.error}</ErrorMessage>}
        {preview.data && <PreviewImage preview={preview.data} label="Preview" />}
      </div>
      <AddPrinter onAdded={printers.reload} />
    </section>
  );
}

function AddPrinter({ onAdded }: { onAdded: () => void }) {
  const api = useApi();
  const [kind, setKind] = useState<'tcp' | 'serial'>('tcp');
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [paperWidth, setPaperWidth] = useState<58 | 80>(80);
  const [encoding, setEncoding] = useState<'gb18030' | 'cp437'>('gb18030');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ports = useLoad(() => (kind === 'serial' ? api.call('devices.serialPorts', {}) : Promise.resolve([])));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.call('printers.add', kind === 'tcp' ? { kind, name, address, paperWidth, encoding } : { kind, name, address, paperWidth, encoding, baudRate: 9600 });
      setName('');
      setAddress('');
      onAdded();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="add-printer" onSubmit={submit}>
      <h3>Add a printer</h3>
      <div className="form-row">
        <label>
          Connection
          <select
            value={kind}
            onChange={(e) => {
              setKind(e.target.value as 'tcp' | 'serial');
              setAddress('');
              ports.reload();
            }}
            data-testid="printer-kind"
          >
            <option value="tcp">Network (port 9100)</option>
            <option value="serial">USB / serial</option>
          </select>
        </label>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Front desk" data-testid="printer-name" />
        </label>
      </div>
      <div className="form-row">
        {kind === 'tcp' ? (
          <label>
            Address
            <input value={address} onChange={(e) => setAddress(e.target.value)} placeholder="192.168.1.50:9100" data-testid="printer-address" />
          </label>
        ) : (
          <label>
            Serial port
            <select value={address} onChange={(e) => setAddress(e.target.value)} data-testid="printer-port">
              <option value="">{ports.loading ? 'Looking for ports…' : ports.data?.length ? 'Choose a port' : 'No serial ports found'}</option>
              {ports.data?.map((p) => (
                <option key={p.path} value={p.path}>
                  {p.path}
                  {p.manufacturer ? ` (${p.manufacturer})` : ''}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Paper
          <select value={paperWidth} onChange={(e) => setPaperWidth(Number(e.target.value) as 58 | 80)} data-testid="printer-paper">
            <option value={80}>80 mm</option>
            <option value={58}>58 mm</option>
          </select>
        </label>
        <label>
          Chinese names
          <select value={encoding} onChange={(e) => setEncoding(e.target.value as 'gb18030' | 'cp437')}>
            <option value="gb18030">Print them (GB18030 font)</option>
            <option value="cp437">Printer has no Chinese font</option>
          </select>
        </label>
      </div>
      {kind === 'serial' && ports.error && <ErrorMessage>{ports.error}</ErrorMessage>}
      {error && <ErrorMessage testId="add-printer-error">{error}</ErrorMessage>}
      <button type="submit" className="btn btn-primary" disabled={busy} data-testid="printer-add">
        Add printer
      </button>
    </form>
  );
}

function PrintJobs() {
  const api = useApi();
  const jobs = useLoad(() => api.call('printers.jobs', { limit: 12 }));
  const [preview, setPreview] = useState<{ id: string; preview: DocumentPreview } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useStationEvent('printer.status', jobs.reload);

  async function act(work: () => Promise<unknown>) {
    setError(null);
    try {
      await work();
      jobs.reload();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <section className="card devices-card">
      <h2>Print jobs</h2>
      {jobs.error && <ErrorMessage>{jobs.error}</ErrorMessage>}
      {error && <ErrorMessage>{error}</ErrorMessage>}
      {jobs.data?.length === 0 && <p className="muted">Nothing printed yet.</p>}
      <ul className="job-list">
        {jobs.data?.map((job) => (
          <li key={job.id} className={`job-row job-${job.status}`} data-testid="print-job" data-status={job.status}>
            <span className="job-title">{job.title}</span>
            <span className="job-meta">
              {job.printerName} · {job.status}
              {job.attempts > 1 && ` · ${job.attempts} tries`}
            </span>
            {job.lastError && job.status === 'queued' && <span className="job-error">{job.lastError}</span>}
            <span className="job-actions">
              <button type="button" className="btn btn-small" onClick={() => act(async () => setPreview({ id: job.id, preview: await api.call('printers.jobPreview', { jobId: job.id }) }))}>
                Preview
              </button>
              <button type="button" className="btn btn-small" onClick={() => act(() => api.call('printers.reprint', { jobId: job.id }))}>
                Reprint
              </button>
              {job.status === 'queued' && (
                <button type="button" className="btn btn-small btn-danger-quiet" onClick={() => act(() => api.call('printers.cancel', { jobId: job.id }))}>
                  Cancel
                </button>
              )}
            </span>
          </li>
        ))}
      </ul>
      {preview && <PreviewImage preview={preview.preview} label="Job preview" />}
    </section>
  );
}

function Voice() {
  const api = useApi();
  const settings = useLoad(() => api.call('announcements.settings', {}));
  const [error, setError] = useState<string | null>(null);
  const data = settings.data;

  async function save(languages: AnnouncementLanguage[], speechFallback: boolean) {
    setError(null);
    try {
      await api.call('announcements.setSettings', { languages, speechFallback });
      settings.reload();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  if (!data) return <section className="card devices-card">{settings.error ? <ErrorMessage>{settings.error}</ErrorMessage> : 'Loading…'}</section>;
  const editable = data.canEditLanguages;
  const unused = editable ? announcementLanguages.filter((l) => !data.languages.includes(l)) : [];
  const move = (index: number, by: number) => {
    const next = [...data.languages];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item!);
    void save(next, data.speechFallback);
  };

  return (
    <section className="card devices-card" data-testid="voice-settings">
      <h2>Voice calls</h2>
      <p className="muted">A chime, then the number and room in each language below, in this order. The languages are set for the whole clinic.</p>
      {!editable && (
        <p className="muted" data-testid="voice-languages-readonly">
          Only the clinic manager (admin) can change the languages or their order: sign in as the clinic manager to change them.
        </p>
      )}
      <ol className="language-list">
        {data.languages.map((language, index) => (
          <li key={language} data-testid="voice-language" data-language={language}>
            <span>{languageNames[language]}</span>
            <button type="button" className="btn btn-small" disabled={!editable || index === 0} onClick={() => move(index, -1)} aria-label={`Move ${languageNames[language]} up`}>
              ↑
            </button>
            <button type="button" className="btn btn-small" disabled={!editable || index === data.languages.length - 1} onClick={() => move(index, 1)} aria-label={`Move ${languageNames[language]} down`}>
              ↓
            </button>
            <button type="button" className="btn btn-small" disabled={!editable || data.languages.length === 1} onClick={() => save(data.languages.filter((l) => l !== language), data.speechFallback)}>
              Remove
            </button>
          </li>
        ))}
      </ol>
      {unused.map((language) => (
        <button key={language} type="button" className="btn btn-small" onClick={() => save([...data.languages, language], data.speechFallback)}>
          Add {languageNames[language]}
        </button>
      ))}
      <label className="check">
        <input type="checkbox" checked={data.speechFallback} onChange={(e) => save(data.languages, e.target.checked)} /> Use this computer’s speech when a clip cannot play
      </label>
      <p className="muted">
        {data.overrides.length ? `${data.overrides.length} clip(s) recorded by the clinic are in use.` : 'Built-in clips in use.'} Recordings go in the station’s
        voice folder (see the README).
      </p>
      {data.problems.map((problem) => (
        <ErrorMessage key={problem}>{problem}</ErrorMessage>
      ))}
      {error && <ErrorMessage>{error}</ErrorMessage>}
    </section>
  );
}

function Boards() {
  const api = useApi();
  const boards = useLoad(() => api.call('devices.boards', {}));
  const drivers = useLoad(() => api.call('devices.boardDrivers', {}));
  const [form, setForm] = useState({ name: '', driver: 'alpha-sign', transport: 'tcp' as 'tcp' | 'serial', address: '' });
  const [error, setError] = useState<string | null>(null);

  async function act(work: () => Promise<unknown>) {
    setError(null);
    try {
      await work();
      boards.reload();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <section className="card devices-card">
      <h2>Queue boards</h2>
      <p className="muted">Every number called is also sent to these LED boards and pole displays.</p>
      <ul className="printer-list">
        {boards.data?.map((b) => (
          <li key={b.id} className="printer-row" data-testid="board-row">
            <span className="printer-name">{b.name}</span>
            <span className="printer-address">
              {drivers.data?.find((d) => d.id === b.driver)?.label ?? b.driver} · {b.address}
            </span>
            <span className={`printer-state printer-state-${b.state === 'ready' ? 'ok' : b.state === 'offline' ? 'bad' : 'warn'}`}>{b.lastError ?? b.state}</span>
            <span className="printer-actions">
              <button type="button" className="btn btn-small" onClick={() => act(() => api.call('devices.testBoard', { boardId: b.id }))}>
                Test
              </button>
              <button type="button" className="btn btn-small btn-danger-quiet" onClick={() => act(() => api.call('devices.removeBoard', { boardId: b.id }))}>
                Remove
              </button>
            </span>
          </li>
        ))}
      </ul>
      <form
        className="add-printer"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => api.call('devices.addBoard', { ...form, baudRate: 9600 }));
        }}
      >
        <div className="form-row">
          <label>
            Name
            <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="Waiting room board" />
          </label>
          <label>
            Protocol
            <select value={form.driver} onChange={(e) => setForm({ ...form, driver: e.target.value })}>
              {drivers.data?.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.label}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="form-row">
          <label>
            Connection
            <select value={form.transport} onChange={(e) => setForm({ ...form, transport: e.target.value as 'tcp' | 'serial' })}>
              <option value="tcp">Network</option>
              <option value="serial">USB / serial</option>
            </select>
          </label>
          <label>
            {form.transport === 'tcp' ? 'Address (host:port)' : 'Serial port'}
            <input value={form.address} onChange={(e) => setForm({ ...form, address: e.target.value })} placeholder={form.transport === 'tcp' ? '192.168.1.60:3001' : '/dev/ttyUSB1 or COM4'} />
          </label>
        </div>
        {error && <ErrorMessage>{error}</ErrorMessage>}
        <button type="submit" className="btn">
          Add board
        </button>
      </form>
    </section>
  );
}

/** Under an issued ticket at reception: what was printed, and a way to print it again. */
export function TicketPrintout({ ticketId }: { ticketId: string }) {
  const api = useApi();
  const preview = useLoad(() => api.call('printers.preview', { document: 'ticket', ticketId }));
  const [message, setMessage] = useState<string | null>(null);
  return (
    <div className="ticket-printout">
      {preview.data && <PreviewImage preview={preview.data} label="Printed ticket" />}
      {preview.error && <ErrorMessage>{preview.error}</ErrorMessage>}
      <button
        type="button"
        className="btn btn-small"
        data-testid="reprint-ticket"
        onClick={() =>
          api.call('printers.print', { document: 'ticket', ticketId }).then(
            (job) => setMessage(`Sent to ${job.printerName}`),
            (e: unknown) => setMessage(errorMessage(e)),
          )
        }
      >
        Print again
      </button>
      {message && <span className="muted">{message}</span>}
    </div>
  );
}
