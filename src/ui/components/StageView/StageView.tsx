// One stage of a GRPO step, drawn with the step's real numbers: the G judgements sampled per prompt, how
// each was scored, the advantage formula per group, the loss and its per-token terms, and what the update
// changed. Earlier stages' outputs give the context (a score needs the samples). Presentational.
import { memo, useState } from 'react';
import { STD_EPS } from '../../../rm/grpo';
import type {
  AdvantageGroup,
  AdvantageStage,
  LossStage,
  SampleStage,
  ScoreStage,
  StageOutput,
  UpdateStage,
} from '../../../train/grpo_types';
import type { RunConfig } from '../../../train/run_config';
import { TokenTrace } from '../TokenTrace/TokenTrace';
import { AdvantageBar } from '../AdvantageBar/AdvantageBar';

export interface StageViewProps {
  outputs: StageOutput[]; // every stage run so far, in order
  index: number; // the one to draw
  grpo: RunConfig['grpo'];
}

const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

export const STAGE_HELP: Record<StageOutput['stage'], string> = {
  sample:
    'The policy writes G judgements for each preference pair, sampled at temperature τ with the KV cache. The ' +
    'log-probability of every sampled token is kept: it is ℓp_old for the ratio.',
  score:
    "Each judgement gets RM-R1's verifiable reward: +1 if its last 80 characters hold exactly the right " +
    '<answer>[[X]]</answer>, −1 otherwise (wrong, missing, both, or cut off at the length cap). No format reward.',
  advantages:
    'Rewards are compared only within their group: A_i = (r_i − mean) / (std + ε). A judgement better than its ' +
    'siblings is pushed up, a worse one down; a group whose rewards are all equal gives A = 0 and teaches nothing.',
  loss:
    'Per token: −min(ρA, clip(ρ, 1−ε_low, 1+ε_high)A) + β·k3, aggregated over the batch. ρ = exp(ℓp − ℓp_old) is 1 ' +
    'at the first iteration; k3 measures how far the policy has moved from the distilled reference. Backward gives ' +
    'the gradient, clipped to the max norm.',
  update:
    'AdamW takes one step with the clipped gradient. Afterwards every judgement is scored again: judgements with ' +
    'A > 0 should have become more likely (Σℓp up), those with A < 0 less likely.',
};

function find<S extends StageOutput['stage']>(outputs: StageOutput[], stage: S, upTo: number) {
  return outputs
    .slice(0, upTo + 1)
    .reverse()
    .find((o) => o.stage === stage) as Extract<StageOutput, { stage: S }> | undefined;
}

function Samples({ s }: { s: SampleStage }) {
  return (
    <div data-testid="stage-sample">
      {s.pairs.map((p, k) => (
        <div key={p.id} className="st-group">
          <p>
            <strong>Prompt {k + 1}</strong>{' '}
            <span className="muted">
              ({p.category}, label {p.winner})
            </span>
            : {p.prompt}
          </p>
          <ol className="st-completions">
            {s.completions
              .filter((c) => c.group === k)
              .map((c, i) => (
                <li key={i}>
                  <code>{c.text || '(empty)'}</code>{' '}
                  <span className="muted">
                    {c.tokens.length} tokens, {c.stopReason === 'eos' ? 'ended' : 'cut off'}
                  </span>
                </li>
              ))}
          </ol>
        </div>
      ))}
    </div>
  );
}

function Scores({ s, sc }: { s: SampleStage; sc: ScoreStage }) {
  return (
    <table className="grid" data-testid="stage-score">
      <thead>
        <tr>
          <th>prompt</th>
          <th>judgement</th>
          <th>verdict (last 80 chars)</th>
          <th>label</th>
          <th>reward</th>
        </tr>
      </thead>
      <tbody>
        {s.completions.map((c, i) => (
          <tr key={i}>
            <td>{c.group + 1}</td>
            <td>{i + 1}</td>
            <td>{sc.verdicts[i] ?? (c.stopReason === 'length' ? 'none: cut off' : 'none')}</td>
            <td>{sc.labels[c.group]}</td>
            <td className={sc.rewards[i] > 0 ? 'pos' : 'neg'}>{sc.rewards[i] > 0 ? '+1' : '−1'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const SCALE_NOTE: Record<AdvantageStage['scaleRewards'], string> = {
  group: 'divide by the group std',
  batch: 'divide by the std of all rewards in the step',
  none: 'no division (Dr. GRPO)',
};

/** The group's own std, and what its advantages were divided by when that is not it. */
function stdNote(g: AdvantageGroup, a: AdvantageStage): string {
  if (g.scaledBy === null) return `std = ${f(g.std)}, not divided`;
  return a.scaleRewards === 'batch'
    ? `std = ${f(g.std)}, divided by the step's std ${f(g.scaledBy)}`
    : `std = ${f(g.std)}`;
}

function Advantages({ s, sc, a }: { s: SampleStage; sc: ScoreStage; a: AdvantageStage }) {
  const denom = (g: AdvantageGroup) => (g.scaledBy === null ? '' : ` / (${f(g.scaledBy)} + ${STD_EPS})`);
  return (
    <div data-testid="stage-advantages">
      <p className="muted">
        scaleRewards = {a.scaleRewards}: {SCALE_NOTE[a.scaleRewards]}; std is unbiased (÷(G−1)).
      </p>
      {a.groups.map((g, k) => {
        const r = sc.rewards.filter((_, i) => s.completions[i].group === k);
        return (
          <div key={k} className="st-group" data-testid="advantage-group">
            <p>
              <strong>Prompt {k + 1}</strong>: r = [{r.join(', ')}], mean = {f(g.mean)},{' '}
              <span data-testid="std-used">{stdNote(g, a)}</span>
              {g.zeroStd && (
                <span className="flag"> — all rewards equal: every A = 0, no gradient from this group</span>
              )}
            </p>
            <ul className="st-formulas">
              {g.advantages.map((A, i) => (
                <li key={i}>
                  <code>
                    A{i + 1} = ({r[i]} − {f(g.mean)}){denom(g)} = {f(A)}
                  </code>{' '}
                  <AdvantageBar value={A} scale={Math.max(1e-9, ...g.advantages.map(Math.abs))} />
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </div>
  );
}

function Loss({ s, l, grpo }: { s: SampleStage; l: LossStage; grpo: RunConfig['grpo'] }) {
  const [pick, setPick] = useState(0);
  const [mode, setMode] = useState<'ratio' | 'kl'>('kl');
  const c = s.completions[pick];
  const values = (mode === 'ratio' ? l.ratio : l.kl)[pick] ?? [];
  return (
    <div data-testid="stage-loss">
      <p>
        iteration {l.iteration + 1} of μ = {grpo.numIterations}: loss = <strong>{f(l.loss, 5)}</strong> ({grpo.lossType}
        ), gradient norm {f(l.gradNorm)} (clipped to {grpo.maxGradNorm}), mean KL {f(l.metrics.kl ?? 0, 5)} (β ={' '}
        {grpo.beta}), clipped tokens {f(100 * (l.metrics.clip_ratio ?? 0), 1)}%, entropy {f(l.metrics.entropy ?? 0)}
      </p>
      <p>
        judgement{' '}
        <select value={pick} onChange={(e) => setPick(Number(e.target.value))} aria-label="judgement to shade">
          {s.completions.map((_, i) => (
            <option key={i} value={i}>
              {i + 1}
            </option>
          ))}
        </select>{' '}
        shaded by{' '}
        <label>
          <input type="radio" checked={mode === 'kl'} onChange={() => setMode('kl')} /> KL
        </label>{' '}
        <label>
          <input type="radio" checked={mode === 'ratio'} onChange={() => setMode('ratio')} /> ratio ρ
        </label>
      </p>
      {c && <TokenTrace tokens={c.pieces} values={values} mode={mode} />}
    </div>
  );
}

function Update({ u, a }: { u: UpdateStage; a: AdvantageStage }) {
  return (
    <div data-testid="stage-update">
      <p>
        AdamW step {u.iteration + 1} at learning rate {u.lr.toExponential(2)}.
      </p>
      {u.logpAfter ? (
        <table className="grid">
          <thead>
            <tr>
              <th>judgement</th>
              <th>advantage</th>
              <th>Σℓp before</th>
              <th>Σℓp after</th>
              <th>change</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {u.logpAfter.map((after, i) => {
              const d = after - u.logpBefore[i],
                A = a.advantages[i];
              const asked =
                A === 0
                  ? 'A = 0: only the KL term and weight decay move it'
                  : Math.sign(d) === Math.sign(A)
                    ? 'moved the way A asks'
                    : 'moved against A (shared weights, clipping or KL)';
              return (
                <tr key={i} data-testid="logp-change">
                  <td>{i + 1}</td>
                  <td>{f(A)}</td>
                  <td>{f(u.logpBefore[i])}</td>
                  <td>{f(after)}</td>
                  <td className={d >= 0 ? 'pos' : 'neg'}>
                    {d >= 0 ? '+' : ''}
                    {f(d, 4)}
                  </td>
                  <td className="muted">{asked}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <p className="muted">The change of each judgement's log-probability was not measured for this step.</p>
      )}
    </div>
  );
}

export const StageView = memo(function StageView({ outputs, index, grpo }: StageViewProps) {
  const o = outputs[index];
  if (!o) return null;
  const sample = find(outputs, 'sample', index)?.sample;
  const score = find(outputs, 'score', index)?.score;
  const adv = find(outputs, 'advantages', index)?.advantages;
  switch (o.stage) {
    case 'sample':
      return <Samples s={o.sample} />;
    case 'score':
      return sample ? <Scores s={sample} sc={o.score} /> : null;
    case 'advantages':
      return sample && score ? <Advantages s={sample} sc={score} a={o.advantages} /> : null;
    case 'loss':
      return sample ? <Loss s={sample} l={o.loss} grpo={grpo} /> : null;
    case 'update':
      return adv ? <Update u={o.update} a={adv} /> : null;
  }
});
