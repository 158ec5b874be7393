import { useState, type FormEvent } from 'react';
import { errorMessage } from '../../common/api';
import { ErrorMessage } from '../../common/components';
import { useApi, useLoad } from '../../common/hooks';

export function AddPrinter({ onAdded }: { onAdded: () => void }) {
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
