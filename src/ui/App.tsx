// The shell: title, the page tabs (links into the URL hash), the engine's notices, and the page.
import { useShallow } from 'zustand/react/shallow';
import { useAppStore, type AppState } from '../state/store';
import type { Page } from '../state/url';
import { formatHash } from '../state/url';
import { Notices } from './components/Notices/Notices';
import { DataPage } from './pages/DataPage';
import { GroupsPage } from './pages/GroupsPage';
import { JudgePage } from './pages/JudgePage';
import { RunsPage } from './pages/RunsPage';
import { StepThroughPage } from './pages/StepThroughPage';
import { TrainPage } from './pages/TrainPage';

const TABS: { page: Page; label: string }[] = [
  { page: 'train', label: 'Train' },
  { page: 'groups', label: 'GRPO groups' },
  { page: 'step', label: 'Step-through' },
  { page: 'judge', label: 'Judge' },
  { page: 'data', label: 'Data' },
  { page: 'runs', label: 'Runs & checkpoints' },
];

const PAGES: Record<Page, () => React.JSX.Element> = {
  train: TrainPage,
  groups: GroupsPage,
  step: StepThroughPage,
  judge: JudgePage,
  data: DataPage,
  runs: RunsPage,
};

const selectPage = (s: AppState) => s.page;
const selectDraft = (s: AppState) => s.draft;
const selectNotices = (s: AppState) => ({
  backend: s.backend,
  choiceReason: s.backendChoice?.reason ?? null,
  backendError: s.backendError,
  fatalError: s.fatalError,
  storageWarning: s.storageWarning,
  linkError: s.linkError,
  libraryError: s.libraryError,
});

export function App() {
  const page = useAppStore(selectPage);
  const draft = useAppStore(selectDraft);
  const notices = useAppStore(useShallow(selectNotices));
  const Current = PAGES[page];
  return (
    <div className="app">
      <header className="top">
        <h1>Rubric Lab</h1>
        <span className="badge" title={notices.backend?.summary ?? 'starting the engine'}>
          backend: <span data-testid="backend-name">{notices.backend?.name ?? '…'}</span>
        </span>
        <nav aria-label="pages">
          {TABS.map((t) => (
            <a
              key={t.page}
              href={formatHash(t.page, draft)}
              className={t.page === page ? 'tab active' : 'tab'}
              aria-current={t.page === page ? 'page' : undefined}
            >
              {t.label}
            </a>
          ))}
        </nav>
      </header>
      <Notices {...notices} />
      <main>
        <Current />
      </main>
    </div>
  );
}
