// The benchmark's tables (bench/tables.ts) as HTML: the same cells the Markdown copy has. Props only.
import { memo } from 'react';
import type { Table } from '../../bench/tables';

export const ResultTables = memo(function ResultTables({ tables }: { tables: Table[] }) {
  return (
    <>
      {tables.map((t) => (
        <section key={t.title} className="panel bench-table" data-testid="bench-table">
          <h2>{t.title}</h2>
          {t.note && <p className="muted">{t.note}</p>}
          <div className="scroll">
            <table className="grid">
              <thead>
                <tr>
                  {t.headers.map((h) => (
                    <th key={h}>{h}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {t.rows.map((r, i) => (
                  <tr key={i} data-testid="bench-row">
                    {r.map((c, j) => (
                      <td key={j}>{c}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </>
  );
});
