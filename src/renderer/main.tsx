import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClinicApi } from './common/api';
import { App } from './App';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');

createRoot(root).render(
  <StrictMode>
    <App api={createClinicApi()} />
  </StrictMode>,
);
