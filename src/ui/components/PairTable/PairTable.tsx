// The pairs as a virtualised table: only the rows in view (plus a few) are in the DOM, so 20,000 pairs
// scroll as smoothly as 20. Fixed row height; long texts are clipped to one line (the detail shows them
// whole). Rows open the pair on click or Enter. Presentational; leaves out filtering and the detail.
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useRef } from 'react';
import type { Pair } from '../../../rm/pair';

export interface PairTableProps {
  pairs: readonly Pair[];
  openId: string | null;
  onOpen: (id: string) => void;
}

const ROW_PX = 30;
const COLUMNS = ['#', 'winner', 'category', 'subset', 'source', 'prompt', 'response A', 'response B'];

/** One line of at most 160 characters: a cell never holds a whole 10 kB response. */
const clip = (s: string) => {
  const line = s.length > 160 ? `${s.slice(0, 160)}…` : s;
  return line.replace(/\s+/g, ' ');
};

export const PairTable = memo(function PairTable({ pairs, openId, onOpen }: PairTableProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useVirtualizer({
    count: pairs.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_PX,
    overscan: 8,
  });

  // A new filter result starts at its top; staying at row 4,000 of a 12-row result shows nothing.
  useEffect(() => {
    rows.scrollToOffset(0);
  }, [rows]);

  return (
    <div
      className="pair-table"
      role="table"
      aria-label="pairs"
      aria-rowcount={pairs.length + 1}
      data-testid="pair-table"
    >
      <div className="pair-row head" role="row" aria-rowindex={1}>
        {COLUMNS.map((c) => (
          <span key={c} role="columnheader">
            {c}
          </span>
        ))}
      </div>
      <div className="pair-scroll" ref={scroller} data-testid="pair-scroll">
        <div role="rowgroup" style={{ height: rows.getTotalSize(), position: 'relative' }}>
          {rows.getVirtualItems().map((item) => {
            const p = pairs[item.index];
            return (
              <div
                key={item.index} // ids may repeat in hand-made data; the index is unique
                role="row"
                aria-rowindex={item.index + 2}
                tabIndex={0}
                data-testid="pair-row"
                className={p.id === openId ? 'pair-row open' : 'pair-row'}
                style={{ transform: `translateY(${item.start}px)`, height: ROW_PX }}
                onClick={() => onOpen(p.id)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    onOpen(p.id);
                  }
                }}
              >
                <span role="cell" className="muted">
                  {item.index + 1}
                </span>
                <span role="cell" className={`winner ${p.winner}`}>
                  {p.winner}
                </span>
                <span role="cell">{p.category ?? '–'}</span>
                <span role="cell" title={p.subset}>
                  {p.subset ?? '–'}
                </span>
                <span role="cell">{p.source}</span>
                <span role="cell">{clip(p.prompt)}</span>
                <span role="cell">{clip(p.a)}</span>
                <span role="cell">{clip(p.b)}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
});
