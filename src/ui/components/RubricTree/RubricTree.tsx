// The Chain-of-Rubrics of one trace as a tree: verdict at the top → type → rubric items (weight,
// justification) → per-response checks with quoted evidence; or solution → comparison → verdict. Then the
// errors (message and character span) and the raw trace with the malformed spans highlighted. It parses
// the text itself, so the Judge page, the group view and the data browser pass just `text`. While
// `streaming`, unclosed tags and a missing answer are expected and not reported. Presentational.
import { memo, useMemo } from 'react';
import { parseCor } from '../../../rm/cor_parser';
import { RawTrace } from './RawTrace';
import { TreeBranches } from './TreeBranches';
import { visibleErrors } from './tree_view';
import './RubricTree.css';

export interface RubricTreeProps {
  text: string;
  streaming?: boolean; // the trace is still being generated
}

export const RubricTree = memo(function RubricTree({ text, streaming = false }: RubricTreeProps) {
  const tree = useMemo(() => parseCor(text), [text]);
  const errors = useMemo(() => visibleErrors(tree, streaming), [tree, streaming]);
  const verdict = tree.verdict ? (
    <>
      verdict <b>[[{tree.verdict}]]</b>
    </>
  ) : streaming ? (
    <span className="muted">verdict: …</span>
  ) : (
    'no verdict'
  );
  return (
    <div className={`rubric-tree${streaming ? ' streaming' : ''}`} data-testid="rubric-tree" aria-busy={streaming}>
      <ul className="rt-root">
        <li className="rt-node">
          <span
            className={`rt-verdict ${tree.verdict ? 'has' : 'none'}`}
            data-testid="tree-verdict"
            data-verdict={tree.verdict ?? ''}
          >
            {verdict}
          </span>
          {text.length > 0 && (
            <ul>
              <TreeBranches tree={tree} />
            </ul>
          )}
        </li>
      </ul>
      {errors.length > 0 && (
        <ul className="rt-errors" aria-label="malformed parts">
          {errors.map((e, i) => (
            <li key={`${e.kind}-${e.start}-${i}`} className="rt-error" data-testid="tree-error">
              <span className="rt-label">
                #{i + 1} {e.kind.replace(/_/g, ' ')}
              </span>{' '}
              {e.message}{' '}
              <span className="rt-span">
                [{e.start}–{e.end})
              </span>
            </li>
          ))}
        </ul>
      )}
      {text.length > 0 ? (
        <RawTrace text={text} errors={errors} />
      ) : (
        <p className="muted">{streaming ? 'waiting for the first tokens…' : 'empty trace'}</p>
      )}
    </div>
  );
});
