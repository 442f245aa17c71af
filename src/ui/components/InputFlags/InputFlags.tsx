// What the chosen model cannot represent of the pair, shown before judging: characters outside its
// vocabulary (each character once, with where it occurs: question, A or B, and the offset), tags typed in
// the text (read as the model's own tags), and a prompt too long for its context. When all fits, how much context is
// left for the trace. While a newer check is on its way (the text changed), the last one stays, marked as such.
// Presentational.
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

export interface InputFlagsProps {
  check: InputCheck | null;
  checking: boolean; // the text changed since `check`
}

const Checking = ({ on }: { on: boolean }) =>
  on ? (
    <span className="muted" data-testid="input-checking">
      {' '}
      (checking the edited text…)
    </span>
  ) : null;

export const InputFlags = memo(function InputFlags({ check, checking }: InputFlagsProps) {
  if (!check) return checking ? <Checking on /> : null;
  const { unknown, unknownCount, tags, tagCount, tooLong, promptTokens, contextLength } = check;
  if (unknownCount === 0 && tagCount === 0 && !tooLong) {
    const left = contextLength - promptTokens;
    return (
      <p className="muted input-ok" data-testid="input-ok">
        The prompt takes {promptTokens} of the model's {contextLength} context tokens; {left} are left for the trace.
        <Checking on={checking} />
      </p>
    );
  }
  const groups = grouped(unknown);
  return (
    <div className="input-flags" data-testid="input-flags">
      <Checking on={checking} />
      {tooLong && (
        <p className="notice error" role="alert" data-testid="too-long">
          {tooLong}
        </p>
      )}
      {unknownCount > 0 && (
        <p className="notice" role="status" data-testid="unknown-chars">
          {unknownCount} character{unknownCount === 1 ? ' is' : 's are'} outside this model's vocabulary and will be
          read as {'<unk>'}
          {unknownCount > unknown.length ? ` (listed from the first ${unknown.length})` : ''}:{' '}
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
      {tagCount > 0 && (
        <p className="notice" role="status" data-testid="typed-tags">
          The text holds special tokens that the model will read as its own tags, not as text:{' '}
          {tags
            .slice(0, MAX_LISTED)
            .map((t) => `${t.tag} at ${FIELD[t.field]}@${t.index}`)
            .join(', ')}
          {tagCount > MAX_LISTED ? `, and ${tagCount - MAX_LISTED} more` : ''}
        </p>
      )}
    </div>
  );
});
