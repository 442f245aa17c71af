// One pair in full: prompt, response A and B (always as text: imported HTML is shown, never run),
// the winner, its labels, source, a summary of meta, and for synthetic pairs the oracle's Chain-of-Rubrics
// trace drawn as a rubric tree. Presentational; leaves out choosing the pair.
import { memo, useEffect, useMemo, useRef } from 'react';
import { oracleTrace } from '../../../rm/oracle';
import type { Pair } from '../../../rm/pair';
import { truthOf } from '../../../rm/world_truth';
import { RubricTree } from '../RubricTree/RubricTree';
import { metaSummary } from './meta_summary';

export interface PairDetailProps {
  pair: Pair;
  onClose: () => void;
}

/** The oracle's trace for a synthetic pair; null for imported pairs (no truth) and ties (no verdict). */
function traceOf(pair: Pair): string | null {
  if (truthOf(pair) === null || pair.winner === 'tie') return null;
  try {
    return oracleTrace(pair);
  } catch {
    return null; // hand-edited truth that no longer fits its pair: show the pair without a tree
  }
}

function Response({ side, text, winner }: { side: 'A' | 'B'; text: string; winner: Pair['winner'] }) {
  return (
    <div className={winner === side ? 'pair-side preferred' : 'pair-side'}>
      <h4>
        Response {side} {winner === side && <span className="tag">preferred</span>}
        {winner === 'tie' && <span className="tag">tie</span>}
      </h4>
      <pre className="pair-text" data-testid={`detail-${side.toLowerCase()}`}>
        {text}
      </pre>
    </div>
  );
}

export const PairDetail = memo(function PairDetail({ pair, onClose }: PairDetailProps) {
  const trace = useMemo(() => traceOf(pair), [pair]);
  const meta = useMemo(() => metaSummary(pair.meta), [pair]);
  const box = useRef<HTMLElement>(null);
  useEffect(() => {
    box.current?.scrollIntoView?.({ block: 'nearest' });
  }, []);

  return (
    <section className="panel pair-detail" aria-label="pair detail" data-testid="pair-detail" ref={box}>
      <header>
        <h2>
          Pair <code>{pair.id}</code>
        </h2>
        <button type="button" className="secondary" onClick={onClose}>
          close
        </button>
      </header>
      <dl className="pair-facts">
        <dt>winner</dt>
        <dd data-testid="detail-winner">{pair.winner}</dd>
        <dt>category</dt>
        <dd>{pair.category ?? '–'}</dd>
        <dt>subset</dt>
        <dd>{pair.subset ?? '–'}</dd>
        <dt>difficulty</dt>
        <dd>{pair.difficulty ?? '–'}</dd>
        <dt>source</dt>
        <dd>{pair.source}</dd>
      </dl>
      <h4>Prompt</h4>
      <pre className="pair-text" data-testid="detail-prompt">
        {pair.prompt}
      </pre>
      <div className="pair-sides">
        <Response side="A" text={pair.a} winner={pair.winner} />
        <Response side="B" text={pair.b} winner={pair.winner} />
      </div>
      {meta.length > 0 && (
        <>
          <h4>Meta</h4>
          <dl className="pair-meta">
            {meta.map(([k, v]) => [<dt key={`k-${k}`}>{k}</dt>, <dd key={`v-${k}`}>{v}</dd>])}
          </dl>
        </>
      )}
      {trace !== null && (
        <div data-testid="oracle-trace">
          <h4>The oracle's Chain-of-Rubrics trace</h4>
          <p className="muted">What a correct judge writes for this pair (distillation traces are these).</p>
          <RubricTree text={trace} />
        </div>
      )}
    </section>
  );
});
