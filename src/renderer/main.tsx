import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClinicApi } from './common/api';
import { App } from './App';
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

const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');

createRoot(root).render(
  <StrictMode>
    <App api={createClinicApi()} />
  </StrictMode>,
);
