// What a shipped judge can read and what it cannot, with its held-out accuracy from its card and a link to
// the model card; or why the shipped judges could not be loaded. Presentational.
import { memo } from 'react';
import type { JudgeCard } from '../../../train/judge_card';

export interface ShippedJudgeNoteProps {
  checkpoint: 'judge' | 'distilled'; // its entry in the card
  card: JudgeCard | null;
  error: string | null;
  modelCardUrl: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export const ShippedJudgeNote = memo(function ShippedJudgeNote({
  checkpoint,
  card,
  error,
  modelCardUrl,
}: ShippedJudgeNoteProps) {
  const c = card?.checkpoints.find((x) => x.dir === checkpoint);
  const f = c?.asShipped;
  return (
    <div className="shipped-note" data-testid="shipped-note">
      <p>
        <b>What this judge can read.</b> It was trained from scratch, in this app's own code, on Rubric Lab's built-in
        synthetic world: short instructions with checkable constraints (chat, chat-hard), harmful and
        harmless-but-alarming requests (safety), and small arithmetic and symbol tasks (reasoning), in the world's own
        small vocabulary. It judges pairs like those; try an example. It <b>cannot</b> read arbitrary real text: words
        outside its world fall back to single characters it never learned to read, and its verdict on them is a guess.
        Real pretrained models (Hugging Face checkpoints) are coming to this page.
      </p>
      {f && (
        <p data-testid="shipped-accuracy">
          Held-out accuracy as shipped: <b>{pct(f.overall.accuracy)}</b> of {f.overall.total} judgements (each of{' '}
          {card!.heldOutPairs} pairs in both A/B orders; answering by position scores 50%):{' '}
          {Object.entries(f.perCategory)
            .map(([k, a]) => `${k} ${pct(a.accuracy)}`)
            .join(', ')}
          ; {c!.parameters.toLocaleString('en-US')} parameters.{' '}
          <a href={modelCardUrl} target="_blank" rel="noreferrer">
            Model card
          </a>
        </p>
      )}
      {error && (
        <p className="error" role="alert" data-testid="shipped-error">
          {error}
        </p>
      )}
    </div>
  );
});
