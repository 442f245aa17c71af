// The branches under the verdict: type → rubric items (weight, the checks of each response against the
// item, with quoted evidence) and the rubric's justification; or solution → comparison checks; then any
// evidence not attached to a check. Draws what has been parsed so far, so it grows with a streamed trace.
// Presentational.
import { memo } from 'react';
import type { Check, CorTree, Evidence } from '../../../rm/cor_parser';
import { branchesOf, checkTone } from './tree_view';

const CheckNode = memo(function CheckNode({ c }: { c: Check }) {
  return (
    <li className={`rt-check ${checkTone(c)}`} data-testid="tree-check">
      <code>
        {c.rubric ?? ''}
        {c.response}: {c.value !== undefined ? `${c.value} ` : ''}
        {c.verdict ?? '?'}
      </code>
      {c.quote !== undefined && <q className="rt-quote">{c.quote}</q>}
    </li>
  );
});

const EvidenceNode = memo(function EvidenceNode({ e }: { e: Evidence }) {
  return (
    <li className="rt-evidence">
      <span className="rt-label">
        {e.kind} {e.response}
      </span>{' '}
      {e.kind === 'quote' ? <q className="rt-quote">{e.text}</q> : <span>{e.text}</span>}
    </li>
  );
});

export const TreeBranches = memo(function TreeBranches({ tree }: { tree: CorTree }) {
  const b = branchesOf(tree);
  const evidence = b.evidence.map((e) => <EvidenceNode key={e.start} e={e} />);
  return (
    <li className="rt-node">
      <span className="rt-label">type</span> <b>{tree.type ?? '(not stated)'}</b>
      <ul>
        {tree.rubric && (
          <li className="rt-node">
            <span className="rt-label">rubric</span>
            {b.items.length === 0 && <span className="muted"> (no numbered items)</span>}
            <ul>
              {b.items.map(({ item, checks }) => (
                <li key={item.start} className="rt-item" data-testid="tree-item">
                  <span className="rt-index">{item.index}.</span> {item.text}
                  {item.weight !== undefined && <span className="rt-weight">{item.weight}%</span>}
                  {checks.length > 0 && (
                    <ul>
                      {checks.map((c) => (
                        <CheckNode key={c.start} c={c} />
                      ))}
                    </ul>
                  )}
                </li>
              ))}
              {tree.rubric.justify && (
                <li className="rt-justify">
                  <span className="rt-label">why</span> {tree.rubric.justify.text.trim()}
                </li>
              )}
            </ul>
          </li>
        )}
        {tree.solution && (
          <li className="rt-node">
            <span className="rt-label">solution</span> <span className="rt-solution">{tree.solution.text.trim()}</span>
          </li>
        )}
        {(b.loose.length > 0 || evidence.length > 0) && (
          <li className="rt-node">
            <span className="rt-label">{tree.solution ? 'comparison' : 'other checks'}</span>
            <ul>
              {b.loose.map((c) => (
                <CheckNode key={c.start} c={c} />
              ))}
              {evidence}
            </ul>
          </li>
        )}
      </ul>
    </li>
  );
});
