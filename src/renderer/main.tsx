import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClinicApi } from './common/api';
import { App } from './App';
import type { FirstRunApi } from '../shared/first-run-contract';
import { FirstRun } from './screens/first-run/FirstRun';
// One stylesheet per part of the UI, imported here in cascade order: later sheets may refine earlier ones.
import './styles/base.css';
import './styles/controls.css';
import './styles/shell.css';
import './screens/reception/reception.css';
import './screens/queue/queue.css';
import './screens/patients/register.css';
import './screens/consult/consult.css';
import './screens/display/display.css';
import './sync/sync.css';
import './screens/devices/devices.css';
import './screens/stations/stations.css';
import './screens/first-run/first-run.css';

declare global {
  interface Window {
    /** Set by the Electron preload; answered only in the window of a PC not enrolled yet. */
    clinicFirstRun?: FirstRunApi;
  }
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');

// The app opens this page with #first-run only on a PC with no station list of its own.
const firstRun = window.location.hash === '#first-run' ? window.clinicFirstRun : undefined;

createRoot(root).render(<StrictMode>{firstRun ? <FirstRun api={firstRun} /> : <App api={createClinicApi()} />}</StrictMode>);
