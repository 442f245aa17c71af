// One GRPO step's groups: the step's metrics line, one row per prompt with its G judgements, rewards and
// advantages, and the judgement picked: its trace shaded by advantage (and, for a whole step with its loss,
// by ratio, clipping, KL or log-prob), and its rubric tree. Presentational (the pick and the shading are its
// own view state).
import { memo, useId, useMemo, useState } from 'react';
import { groupRows, SHADE_HELP, tokenPieces, tokenValues, type ShadeMode } from '../../../state/grpo_view';
import type { RewardMetrics } from '../../../rm/grpo_metrics';
import type { GrpoStepReport } from '../../../train/grpo_types';
import type { GroupsOfStep } from '../../../worker/protocol';
import { GroupTable } from '../GroupTable/GroupTable';
import { RubricTree } from '../RubricTree/RubricTree';
import { TokenTrace } from '../TokenTrace/TokenTrace';

const MODES: ShadeMode[] = ['advantage', 'ratio', 'clipped', 'kl', 'logp'];
const fmt = (x: number | undefined, d = 3) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

/** A whole step's report, or the groups of a step (sampled, scored, weighed; no loss) with reward metrics. */
export type StepGroupsReport = GrpoStepReport | (GroupsOfStep & { metrics: RewardMetrics });

export const StepGroups = memo(function StepGroups({ report }: { report: StepGroupsReport }) {
  // the pick belongs to the report it was made in: another step shown picks nothing
  const [pick, setPick] = useState<{ report: StepGroupsReport; index: number } | null>(null);
  const picked = pick?.report === report ? pick.index : null;
  const [mode, setMode] = useState<ShadeMode>('advantage');
  const radioName = useId();
  const rows = useMemo(() => groupRows(report), [report]);
  const m: Partial<Record<string, number>> = { ...report.metrics };
  const c = picked !== null ? report.sample.completions[picked] : null;
  const whole = 'losses' in report ? report : null; // per-token terms come with the loss stage
  const modes = whole ? MODES : MODES.slice(0, 1);
  const shade = whole ? mode : 'advantage';
  return (
    <>
      <p className="metrics-line">
        reward {fmt(m.reward, 2)} · reward_std {fmt(m.reward_std, 2)} · frac_reward_zero_std{' '}
        {fmt(m.frac_reward_zero_std, 2)}
        {whole &&
          ` · kl ${fmt(m.kl, 4)} · clip_ratio ${fmt(m.clip_ratio, 3)} · loss ${fmt(m.loss, 4)} · lr ` +
            m.learning_rate?.toExponential(1)}{' '}
        · scaleRewards {report.advantages.scaleRewards}
      </p>
      <GroupTable rows={rows} picked={picked} onPick={(index) => setPick({ report, index })} />
      {c && picked !== null && (
        <div className="judgement-detail" data-testid="judgement-detail">
          <h3>
            Judgement {picked + 1}: verdict {report.score.verdicts[picked] ?? 'none'}, reward{' '}
            {report.score.rewards[picked] > 0 ? '+1' : '−1'}, advantage {fmt(report.advantages.advantages[picked])}
          </h3>
          <div className="shade-modes" role="radiogroup" aria-label="shade tokens by">
            {modes.map((x) => (
              <label key={x}>
                <input type="radio" name={radioName} checked={shade === x} onChange={() => setMode(x)} /> {x}
              </label>
            ))}
          </div>
          <p className="muted">{SHADE_HELP[shade]}</p>
          <TokenTrace
            tokens={tokenPieces(c)}
            values={
              whole ? tokenValues(whole, picked, shade) : c.tokens.map(() => report.advantages.advantages[picked])
            }
            mode={shade}
          />
          <RubricTree text={c.text} />
        </div>
      )}
    </>
  );
});
