// Run presets: short overrides of the run defaults, each with what it is for. The built-in recipe comes
// first. A preset is a starting point; every setting stays editable, and the URL keeps the result.
import { applyOverrides, RUN_DEFAULTS, type RunConfig } from './run_config';

export interface RunPreset {
  id: string;
  label: string;
  description: string;
  overrides: Record<string, string>;
}

export const RUN_PRESETS: readonly RunPreset[] = [
  {
    id: 'recipe',
    label: 'RM-R1 recipe (tiny)',
    overrides: {},
    description:
      'The built-in recipe: distil the tiny judge on the traced split, then GRPO on label-only pairs, evaluating ' +
      'after each stage.',
  },
  {
    id: 'quick',
    label: 'Quick look (nano)',
    description:
      'A nano model and a handful of steps of each stage: every chart and view fills within a minute or two, ' +
      'even without a GPU. It does not learn to judge.',
    overrides: {
      preset: 'nano',
      checkpointEvery: '5',
      'world.nDistill': '48',
      'world.nGrpo': '64',
      'world.nEval': '8',
      'sft.epochs': '1',
      'sft.batchSize': '8',
      'sft.evalEvery': '0',
      'grpo.steps': '4',
      'grpo.numGenerations': '4',
      'grpo.promptsPerStep': '2',
      'eval.batchSize': '16',
    },
  },
  {
    id: 'no-rubric',
    label: 'No-rubric ablation (tiny)',
    overrides: { noRubric: 'true' },
    description:
      'The recipe with traces that skip the rubric/solution block: how much does writing rubrics first help?',
  },
  {
    id: 'small',
    label: 'Small model (real GPUs)',
    overrides: { preset: 'small', 'sft.lr': '1e-3' },
    description:
      'A ~4M-parameter judge for a real GPU: the same recipe, a lower distillation learning rate. Turn on the ' +
      'fused kernels (Engine panel): on an NVIDIA H200 they made its training steps 2.4× faster.',
  },
];

export function runPresetConfig(id: string): RunConfig {
  const p = RUN_PRESETS.find((x) => x.id === id);
  if (!p) throw new Error(`Unknown run preset "${id}"; choose one of ${RUN_PRESETS.map((x) => x.id).join(', ')}`);
  return applyOverrides(RUN_DEFAULTS, p.overrides);
}
