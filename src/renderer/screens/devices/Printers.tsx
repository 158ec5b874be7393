import { useState } from 'react';
import type { PrinterInfo, PrintJob } from '../../../shared/devices-contract';
import { errorMessage } from '../../common/api';
import { ErrorMessage } from '../../common/components';
import { useApi, useLoad, useStationEvent } from '../../common/hooks';
import { AddPrinter } from './AddPrinter';
import { PreviewImage } from './Preview';

const stateTone: Record<PrinterInfo['state'], string> = {
  ready: 'ok',
  paper_near_end: 'warn',
  paper_out: 'bad',
  cover_open: 'bad',
  offline: 'bad',
  error: 'bad',
  connecting: 'warn',
};

export function Printers() {
  const api = useApi();
  const printers = useLoad(() => api.call('printers.list', {}));
  const [document, setDocument] = useState<PrintJob['document']>('test');
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const preview = useLoad(() => api.call('printers.preview', { document, printerId: selected }), `${document}:${selected ?? ''}`);
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
