import { useState } from 'react';
import type { DocumentPreview } from '../../../shared/devices-contract';
import { errorMessage } from '../../common/api';
import { ErrorMessage } from '../../common/components';
import { useApi, useLoad, useStationEvent } from '../../common/hooks';
import { PreviewImage } from './Preview';

export function PrintJobs() {
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
