// GRPO group view: for the latest (or any past, with the step slider) GRPO step of the run on the Train
// page, one row per prompt with its G judgements, rewards, the group's mean and std and the advantages;
// pick a judgement to read its trace shaded by advantage, ratio, clipping, KL or log-prob, and its tree.
import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { GrpoStepReport } from '../../train/grpo_step';
import { groupRows, SHADE_HELP, tokenPieces, tokenValues, type ShadeMode } from '../../state/grpo_view';
import { loadStepReport, selectStep } from '../../state/run_actions';
import { useAppStore, type AppState } from '../../state/store';
import { GroupTable } from '../components/GroupTable/GroupTable';
import { RubricTree } from '../components/RubricTree/RubricTree';
import { TokenTrace } from '../components/TokenTrace/TokenTrace';
import './groups.css';

const selectGroups = (s: AppState) => ({
  run: s.run,
  storedSteps: s.storedSteps,
  selectedStep: s.selectedStep,
});
const MODES: ShadeMode[] = ['advantage', 'ratio', 'clipped', 'kl', 'logp'];
const fmt = (x: number | undefined, d = 3) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

export function GroupsPage() {
  const { run, storedSteps, selectedStep } = useAppStore(useShallow(selectGroups));
  const steps = useMemo(() => [...new Set(storedSteps)].sort((a, b) => a - b), [storedSteps]);
  const step = selectedStep ?? steps[steps.length - 1] ?? null;
  const [report, setReport] = useState<GrpoStepReport | null>(null);
  const [picked, setPicked] = useState<number | null>(null);
  const [mode, setMode] = useState<ShadeMode>('advantage');

  useEffect(() => {
    let current = true;
    if (step === null) setReport(null);
    else
      void loadStepReport(step).then((r) => {
        if (current) setReport(r);
      });
    return () => {
      current = false;
    };
  }, [step]);
  useEffect(() => setPicked(null), []);

  const rows = useMemo(() => (report ? groupRows(report) : []), [report]);
  if (!run)
    return (
      <section className="panel">
        <h2>GRPO groups</h2>
        <p className="muted">
          Start a run on the Train page (or open one on the Runs page): its GRPO steps appear here.
        </p>
      </section>
    );
  if (step === null || !report)
    return (
      <section className="panel">
        <h2>GRPO groups</h2>
        <p className="muted">
          Run {run.name} has no GRPO step yet{run.phase === 'sft' ? ': it is still distilling' : ''}.
        </p>
      </section>
    );

  const m = report.metrics;
  const c = picked !== null ? report.sample.completions[picked] : null;
  return (
    <>
      <section className="panel">
        <h2>
          GRPO step {step + 1} of run {run.name}
        </h2>
        <div className="step-picker">
          <input
            type="range"
            min={0}
            max={steps.length - 1}
            value={steps.indexOf(step)}
            aria-label="GRPO step"
            onChange={(e) =>
              selectStep(Number(e.target.value) === steps.length - 1 ? null : steps[Number(e.target.value)])
            }
          />
          <span>
            step {step + 1} ({steps.indexOf(step) + 1} of {steps.length} stored)
            {selectedStep === null ? ' · following the latest' : ''}
          </span>
          {selectedStep !== null && (
            <button type="button" className="secondary" onClick={() => selectStep(null)}>
              follow latest
            </button>
          )}
        </div>
        <p className="metrics-line">
          reward {fmt(m.reward, 2)} · reward_std {fmt(m.reward_std, 2)} · frac_reward_zero_std{' '}
          {fmt(m.frac_reward_zero_std, 2)} · kl {fmt(m.kl, 4)} · clip_ratio {fmt(m.clip_ratio, 3)} · loss{' '}
          {fmt(m.loss, 4)} · lr {m.learning_rate?.toExponential(1)}
        </p>
        <GroupTable rows={rows} picked={picked} onPick={setPicked} />
      </section>
      {c && picked !== null && (
        <section className="panel" data-testid="judgement-detail">
          <h2>
            Judgement {picked + 1}: verdict {report.score.verdicts[picked] ?? 'none'}, reward{' '}
            {report.score.rewards[picked] > 0 ? '+1' : '−1'}, advantage {fmt(report.advantages.advantages[picked])}
          </h2>
          <div className="shade-modes" role="radiogroup" aria-label="shade tokens by">
            {MODES.map((x) => (
              <label key={x}>
                <input type="radio" name="shade" checked={mode === x} onChange={() => setMode(x)} /> {x}
              </label>
            ))}
          </div>
          <p className="muted">{SHADE_HELP[mode]}</p>
          <TokenTrace tokens={tokenPieces(c)} values={tokenValues(report, picked, mode)} mode={mode} />
          <RubricTree text={c.text} />
        </section>
      )}
    </>
  );
}
