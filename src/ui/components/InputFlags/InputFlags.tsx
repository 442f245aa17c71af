// What the chosen model cannot represent of the pair, shown before judging: characters outside its
// vocabulary (each character once, with where it occurs: question, A or B, and the offset), tags typed in
// the text (read as the model's own tags), and a prompt too long for its context. When all fits, how much context is
// left for the trace. Presentational.
import { memo } from 'react';
import type { InputCheck, UnknownInputChar } from '../../../train/judge';

const FIELD: Record<UnknownInputChar['field'], string> = { prompt: 'question', a: 'A', b: 'B' };
/** Invisible and control characters by code point, the rest as themselves. */
const shown = (c: string) =>
  /^[\s\p{C}]$/u.test(c) ? `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : c;
const MAX_LISTED = 12;

function grouped(unknown: UnknownInputChar[]): { char: string; at: string[] }[] {
  const by = new Map<string, string[]>();
  for (const u of unknown) by.set(u.char, [...(by.get(u.char) ?? []), `${FIELD[u.field]}@${u.index}`]);
  return [...by].map(([char, at]) => ({ char, at }));
}

export const InputFlags = memo(function InputFlags({ check }: { check: InputCheck | null }) {
  if (!check) return null;
  const { unknown, tags, tooLong, promptTokens, contextLength } = check;
  if (unknown.length === 0 && tags.length === 0 && !tooLong) {
    const left = contextLength - promptTokens;
    return (
      <p className="muted input-ok" data-testid="input-ok">
        The prompt takes {promptTokens} of the model's {contextLength} context tokens; {left} are left for the trace.
      </p>
    );
  }
  const groups = grouped(unknown);
  return (
    <div className="input-flags" data-testid="input-flags">
      {tooLong && (
        <p className="notice error" role="alert" data-testid="too-long">
          Too long for this model: {tooLong}
        </p>
      )}
      {unknown.length > 0 && (
        <p className="notice" role="status" data-testid="unknown-chars">
          {unknown.length} character{unknown.length === 1 ? ' is' : 's are'} outside this model's vocabulary and will be
          read as {'<unk>'}:{' '}
          {groups.slice(0, MAX_LISTED).map((g, i) => (
            <span key={g.char} className="unknown-char">
              {i > 0 && ', '}
              <code>{shown(g.char)}</code> at {g.at.slice(0, 4).join(', ')}
              {g.at.length > 4 ? ` and ${g.at.length - 4} more` : ''}
            </span>
          ))}
          {groups.length > MAX_LISTED && `, and ${groups.length - MAX_LISTED} other characters`}
        </p>
      )}
      {tags.length > 0 && (
        <p className="notice" role="status" data-testid="typed-tags">
          The text holds special tokens that the model will read as its own tags, not as text:{' '}
          {tags
            .slice(0, MAX_LISTED)
            .map((t) => `${t.tag} at ${FIELD[t.field]}@${t.index}`)
            .join(', ')}
          {tags.length > MAX_LISTED ? `, and ${tags.length - MAX_LISTED} more` : ''}
        </p>
      )}
    </div>
  );
});
