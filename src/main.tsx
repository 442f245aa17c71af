import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { setBackend, setBackendError } from './state/store';
import type { BackendName } from './engine/backend';
import { getEngine } from './worker/client';
import './ui/styles.css';

// `?backend=wasm` (or webgl, cpu) forces a backend, e.g. to try the fallback path on a WebGPU machine.
const forced = new URLSearchParams(location.search).get('backend') as BackendName | null;
getEngine()
  .init({ forceBackend: forced ?? undefined })
  .then(setBackend, (e: Error) => setBackendError(e.message));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
