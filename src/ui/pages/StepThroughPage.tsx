// GRPO step-through: run one GRPO step stage by stage — sample, score, advantages, loss and backward,
// update — with Next and Back, on the paused live run (the step is then booked into it) or on a fresh
// small demo. Each stage shows its real numbers and a short explanation.
import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { BUILTIN_JUDGES } from '../../state/builtin_judges';
import { chooseDemoWeights, demoWeightsOf, restoreDemoWeights } from '../../state/groups_demo_actions';
import { back, beginDemo, beginLive, close, next } from '../../state/step_through_actions';
import { useAppStore, type AppState } from '../../state/store';
import { engineReady } from '../../state/engine_slice';
import { STAGE_HELP, StageView } from '../components/StageView/StageView';
import './step_through.css';

const selectStep = (s: AppState) => ({
  info: s.stInfo,
  outputs: s.stOutputs,
  cursor: s.stCursor,
  inFlight: s.stInFlight,
  error: s.stError,
  run: s.run,
  live: s.live,
  draft: s.draft,
  checkpoints: s.checkpoints,
  demoWeights: demoWeightsOf(s),
  ready: engineReady(s),
});

const STAGE_NAMES: Record<string, string> = {
  sample: 'Sample',
  score: 'Score',
  advantages: 'Advantages',
  loss: 'Loss & backward',
  update: 'Update',
};

/** A small GRPO step for the demo: 2 prompts × 4 judgements, the other settings from the weights' world. */
const DEMO = {
  'world.nDistill': '0',
  'world.nGrpo': '32',
  'world.nEval': '1', // the least the setting takes; demos evaluate nothing
  'grpo.promptsPerStep': '2',
  'grpo.numGenerations': '4',
};
/** Fresh weights never end a trace: cut them short. */
const FRESH_DEMO = { ...DEMO, 'grpo.maxCompletionLength': '64' };

export function StepThroughPage() {
  const s = useAppStore(useShallow(selectStep));
  useEffect(restoreDemoWeights, []);
  const canLive = s.live && s.run?.status === 'paused' && s.run.phase === 'grpo';

  if (!s.info) {
    return (
      <section className="panel">
        <h2>Step through one GRPO update</h2>
        <p>
          Run a single GRPO step one stage at a time and see each stage's numbers:{' '}
          {Object.values(STAGE_NAMES).join(' → ')}.
        </p>
        <div className="st-sources">
          <div>
            <h3>The live run</h3>
            <p className="muted">
              {canLive
                ? `The next GRPO step of ${s.run!.name}; it counts as a step of the run.`
                : 'Pause a run during its GRPO phase on the Train page to step through its next update.'}
            </p>
            <button
              type="button"
              onClick={() => void beginLive()}
              disabled={!canLive || s.inFlight}
              data-testid="st-live"
            >
              Step through the live run
            </button>
          </div>
          <div>
            <h3>A fresh demo</h3>
            <p className="muted">
              A separate small GRPO step (2 prompts × 4 judgements) on the built-in world; nothing is saved.
            </p>
            <label>
              weights{' '}
              <select
                value={s.demoWeights}
                onChange={(e) => chooseDemoWeights(e.target.value)}
                aria-label="demo weights"
              >
                {BUILTIN_JUDGES.map((b) => (
                  <option key={b.id} value={b.id}>
                    {b.name}
                  </option>
                ))}
                {s.checkpoints.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} · {c.summary}
                  </option>
                ))}
                <option value="">fresh {s.draft.preset} model (untrained: every verdict is wrong)</option>
              </select>
            </label>{' '}
            <button
              type="button"
              onClick={() => void beginDemo(s.demoWeights || null, s.demoWeights ? DEMO : FRESH_DEMO)}
              disabled={!s.ready || s.inFlight}
              data-testid="st-demo"
            >
              Start the demo step
            </button>
          </div>
        </div>
        {s.error && (
          <p className="error" role="alert">
            {s.error}
          </p>
        )}
      </section>
    );
  }

  const current = s.outputs[s.cursor];
  const nextStage = s.info.stages[s.outputs.length];
  const atEnd = s.cursor === s.info.stages.length - 1;
  return (
    <section className="panel">
      <h2>
        GRPO step {s.info.step} ({s.info.source === 'live' ? `live run ${s.run?.name ?? ''}` : 'demo'})
      </h2>
      <ol className="st-rail" data-testid="stage-rail">
        {s.info.stages.map((st, i) => (
          <li key={i} className={i === s.cursor ? 'current' : i < s.outputs.length ? 'done' : ''}>
            {STAGE_NAMES[st]}
            {s.info!.grpo.numIterations > 1 && (st === 'loss' || st === 'update')
              ? ` ${Math.floor((i - 3) / 2) + 1}`
              : ''}
          </li>
        ))}
      </ol>
      <div className="st-nav">
        <button type="button" onClick={back} disabled={s.cursor <= 0 || s.inFlight} data-testid="st-back">
          Back
        </button>
        <button type="button" onClick={() => void next()} disabled={s.inFlight || atEnd} data-testid="st-next">
          {s.inFlight
            ? 'Running…'
            : s.cursor < s.outputs.length - 1
              ? 'Next'
              : nextStage
                ? `Next: run ${STAGE_NAMES[nextStage].toLowerCase()}`
                : 'Next'}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => void close()}
          disabled={s.inFlight}
          title={s.info.source === 'live' ? 'runs what is left of the step, so the run stays consistent' : undefined}
        >
          Close
        </button>
        {atEnd && (
          <span className="muted">
            The step is complete{s.info.source === 'live' ? ' and booked into the run' : ''}.
          </span>
        )}
      </div>
      {s.error && (
        <p className="error" role="alert">
          {s.error}
        </p>
      )}
      {current ? (
        <div className="st-stage" data-testid="stage-current" data-stage={current.stage}>
          <h3>{STAGE_NAMES[current.stage]}</h3>
          <p className="st-help">{STAGE_HELP[current.stage]}</p>
          <StageView outputs={s.outputs} index={s.cursor} grpo={s.info.grpo} />
        </div>
      ) : (
        <p className="muted">Press Next to sample the judgements.</p>
      )}
    </section>
  );
}
