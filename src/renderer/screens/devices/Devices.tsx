import { useState } from 'react';
import { PanelOverlay } from '../../common/dialog';
import { Boards } from './Boards';
import { Printers } from './Printers';
import { PrintJobs } from './PrintJobs';
import { Voice } from './Voice';

/** A button for the header: opens the device settings over the current screen. */
export function DevicesButton({ quiet = false }: { quiet?: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className={`btn ${quiet ? 'btn-ghost-dark' : 'btn-quiet'}`} onClick={() => setOpen(true)} data-testid="devices-open">
        Devices
      </button>
      {open && <PanelOverlay titleId="devices-title" onClose={() => setOpen(false)} render={(close) => <Devices onClose={close} />} />}
    </>
  );
}

/**
 * Printers, queue boards and voice calls of this station: discover serial ports, add a network
 * printer, choose paper width, preview and test print, watch status live, reprint or cancel jobs.
 */
export function Devices({ onClose }: { onClose: () => void }) {
  return (
    <div className="devices" data-testid="devices">
      <div className="devices-head">
        <h2 id="devices-title">Devices</h2>
        <button type="button" className="btn" onClick={onClose} data-testid="devices-close">
          Close
        </button>
      </div>
      <div className="devices-grid">
        <Printers />
        <PrintJobs />
        <Voice />
        <Boards />
      </div>
    </div>
  );
}
