// GRPO group view: for the latest (or any past, with the step slider) GRPO step of the run on the Train
// page, one row per prompt with its G judgements, rewards, the group's mean, the std used and the advantages;
// pick a judgement to read its trace shaded by advantage, ratio, clipping, KL or log-prob, and its tree.
// Without a run (a first visit) a demo step from the shipped distilled judge runs by itself; it can be run
// again, from other weights, at any time.
import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { BUILTIN_JUDGES } from '../../state/builtin_judges';
import {
  chooseDemoWeights,
  demoWeightsOf,
  restoreDemoWeights,
  runGroupsDemo,
  startGroupsDemoOnce,
} from '../../state/groups_demo_actions';
import { loadStepReport, selectStep } from '../../state/run_actions';
import { useAppStore, type AppState } from '../../state/store';
import { engineReady } from '../../state/engine_slice';
import type { GrpoStepReport } from '../../train/grpo_types';
import { GroupsDemo } from '../components/GroupsDemo/GroupsDemo';
import { StepGroups } from '../components/StepGroups/StepGroups';
import './groups.css';

const selectGroups = (s: AppState) => ({
  run: s.run,
  storedSteps: s.storedSteps,
  selectedStep: s.selectedStep,
});
const selectDemo = (s: AppState) => ({
  checkpoints: s.checkpoints,
  weights: demoWeightsOf(s),
  weightsUsed: s.demoWeightsUsed,
  report: s.demoReport,
  inFlight: s.demoInFlight,
  error: s.demoError,
  ready: engineReady(s),
});

export function GroupsPage() {
  const { run, storedSteps, selectedStep } = useAppStore(useShallow(selectGroups));
  const demo = useAppStore(useShallow(selectDemo));
  const steps = useMemo(() => [...new Set(storedSteps)].sort((a, b) => a - b), [storedSteps]);
  const step = selectedStep ?? steps[steps.length - 1] ?? null;
  const [report, setReport] = useState<GrpoStepReport | null>(null);

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
  useEffect(restoreDemoWeights, []);
  useEffect(() => {
    if (!run && demo.ready) startGroupsDemoOnce();
  }, [run, demo.ready]);

  const demoPanel = (
    <GroupsDemo builtins={BUILTIN_JUDGES} {...demo} onWeights={chooseDemoWeights} onRun={() => void runGroupsDemo()} />
  );
  if (!run)
    return (
      <>
        <section className="panel">
          <h2>GRPO groups</h2>
          <p className="muted">
            Start a run on the Train page (or open one on the Runs page): its GRPO steps appear here. Meanwhile, a demo
            step:
          </p>
        </section>
        {demoPanel}
      </>
    );
  if (step === null || !report)
    return (
      <>
        <section className="panel">
          <h2>GRPO groups</h2>
          <p className="muted">
            Run {run.name} has no GRPO step yet{run.phase === 'sft' ? ': it is still distilling' : ''}.
          </p>
        </section>
        {demoPanel}
      </>
    );

  return (
    <>
      <section className="panel">
        <h2>
          GRPO step {step} of run {run.name}
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
            step {step} ({steps.indexOf(step) + 1} of {steps.length} stored)
            {selectedStep === null ? ' · following the latest' : ''}
          </span>
          {selectedStep !== null && (
            <button type="button" className="secondary" onClick={() => selectStep(null)}>
              follow latest
            </button>
          )}
        </div>
        <StepGroups report={report} />
      </section>
      {demoPanel}
    </>
  );
}
