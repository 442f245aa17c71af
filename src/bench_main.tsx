// Entry of bench.html, the engine benchmark page: options from the URL query, then the page.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { optionsFromQuery, setBenchOptions, setModelBenchOptions, useBenchStore } from './state/bench_store';
import { BenchPage } from './ui/bench/BenchPage';
import './ui/styles.css';
import './ui/bench/bench.css';

const fromLink = optionsFromQuery(location.search);
setBenchOptions(fromLink.options);
setModelBenchOptions(fromLink.model);
useBenchStore.setState({ error: fromLink.error });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BenchPage />
  </StrictMode>,
);
