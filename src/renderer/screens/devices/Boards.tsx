import { useState } from 'react';
import { addBoardInputSchema } from '../../../shared/devices-contract';
import { problemsByField } from '../../../shared/issue-text';
import { errorMessage } from '../../common/api';
import { ErrorMessage } from '../../common/components';
import { useApi, useLoad } from '../../common/hooks';

export function Boards() {
  const api = useApi();
  const boards = useLoad(() => api.call('devices.boards', {}));
  const drivers = useLoad(() => api.call('devices.boardDrivers', {}));
  const [form, setForm] = useState({ name: '', driver: 'alpha-sign', transport: 'tcp' as 'tcp' | 'serial', address: '' });
  const [error, setError] = useState<string | null>(null);
  const [problems, setProblems] = useState<Record<string, string>>({});

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
          const checked = addBoardInputSchema.safeParse({ ...form, baudRate: 9600 });
          setProblems(checked.success ? {} : problemsByField(checked.error));
          if (checked.success) void act(() => api.call('devices.addBoard', checked.data));
        }}
      >
        <div className="form-row">
          <label>
            Name
            <CheckedInput field="name" value={form.name} onChange={(name) => setForm({ ...form, name })} placeholder="Waiting room board" problem={problems.name} />
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
            <CheckedInput
              field="address"
              value={form.address}
              onChange={(address) => setForm({ ...form, address })}
              placeholder={form.transport === 'tcp' ? '192.168.1.60:3001' : '/dev/ttyUSB1 or COM4'}
              problem={problems.address}
            />
          </label>
        </div>
        {error && <ErrorMessage>{error}</ErrorMessage>}
        <button type="submit" className="btn" data-testid="board-add">
          Add board
        </button>
      </form>
    </section>
  );
}

/** An input with its problem said beside it, and tied to it for screen readers. */
function CheckedInput({
  field,
  value,
  onChange,
  placeholder,
  problem,
}: {
  field: string;
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
  problem: string | undefined;
}) {
  const problemId = `board-${field}-problem`;
  return (
    <>
      <input
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? problemId : undefined}
        data-testid={`board-${field}`}
      />
      {problem && (
        <span className="field-problem" id={problemId} data-testid={problemId}>
          {problem}
        </span>
      )}
    </>
  );
}
