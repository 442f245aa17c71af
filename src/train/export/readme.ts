// The export's README.md: what the folder holds, how to run it on a multi-GPU machine (accelerate for TRL,
// verl's launcher), what the prompt and the reward are, and the run's settings as the trainer's keys, with
// where the trainer's math differs from ours for this run. A LoRA run's README says how the cluster run starts
// from its merged checkpoint with fresh adapters of the run's settings, or continues a PEFT adapter.
import type { RunRecord } from '../lab_store';
import { MAPPED_AGAINST } from './files';
import { mapLora } from './lora_map';
import type { RunData } from './run_data';
import { mapSettings, type Json, type Target } from './settings_map';
import { TRL_FIXED } from './trl';
import { hydraValue, VERL_FIXED } from './verl';

const code = (s: string) => `\`${s}\``;
const keysText = (target: Target, keys: Record<string, Json>) =>
  Object.entries(keys)
    .map(([k, v]) => code(`${k}=${target === 'verl' ? hydraValue(v) : JSON.stringify(v)}`))
    .join(', ');

const RUN = {
  trl: [
    '```sh',
    'pip install trl peft datasets accelerate   # and vllm for --use-vllm',
    'accelerate launch --num_processes 8 train_grpo.py --model MERGED_CHECKPOINT            # or:',
    'accelerate launch --num_processes 8 train_grpo.py --model BASE_MODEL --adapter PEFT_ADAPTER',
    '```',
    'Several nodes: `accelerate launch --num_machines N --machine_rank R --main_process_ip HOST ...` (or a',
    'DeepSpeed/FSDP config via `accelerate config`). `train_grpo.py` takes the batch from `grpo_config.json`',
    'and sets `gradient_accumulation_steps` for the number of processes, so every step is one optimizer step',
    'on prompts × G completions, as in the run.',
  ],
  verl: [
    '```sh',
    'pip install verl vllm    # verl ≥ 0.7 reads grpo/*.json (JSON Lines) as they are',
    'MODEL=MERGED_CHECKPOINT N_GPUS=8 bash run_grpo.sh',
    '```',
    'Several nodes: start a Ray cluster and set `NNODES`. verl before 0.7 reads Parquet only; convert, then',
    'point `data.train_files` / `data.val_files` at the `.parquet` files:',
    '```sh',
    ...['train', 'test'].map(
      (s) =>
        `python -c "import pandas as p; p.read_json('grpo/${s}.json', lines=True).to_parquet('grpo/${s}.parquet')"`,
    ),
    '```',
    'Start from the **merged** checkpoint: verl’s KL reference is the starting model (with a LoRA it would be',
    'the base without the adapter, not the distilled judge). Its own LoRA: `actor_rollout_ref.model.lora_rank=32`.',
  ],
};

const FILES = {
  trl: [
    '- `grpo/train.jsonl`, `grpo/test.jsonl`: one prompt per row, `prompt` as chat messages (system + user),',
    '  the label `winner` (`model_a` / `model_b`), and `pair_id`, `order`, `category`, `subset`.',
    '- `grpo_config.json`: `GRPOConfig` settings; `train_grpo.py`: the launcher.',
  ],
  verl: [
    '- `grpo/train.json`, `grpo/test.json`: verl’s schema, one prompt per line: `data_source`, `prompt` (chat',
    '  messages), `ability` (the category), `reward_model: {style: rule, ground_truth: model_a|model_b}`,',
    '  `extra_info: {split, index, pair_id, order, category, subset}`.',
    '- `run_grpo.sh`: `python3 -m verl.trainer.main_ppo` with the run’s settings as verl’s keys.',
  ],
};

const CUT_OFF = {
  trl: [
    '`make_trl_reward(tokenizer)` reads TRL’s `completion_ids`: cut off when the last id is neither the eos nor',
    'the pad id (TRL’s own test for truncation).',
  ],
  verl: [
    'verl decodes responses without special tokens, so `RubricLabRewardLoopManager` (in `reward.py`) decodes',
    'with a tokenizer that appends a mark saying whether the last id was eos or pad; `compute_score` reads and',
    'removes it, and refuses a string without one.',
  ],
};

const LORA_START = {
  trl: [
    'This run trained LoRA adapters. `train_grpo.py` reads `peft_config.json` (the run’s `LoraConfig`) and trains',
    'fresh adapters on `MERGED_CHECKPOINT`, whose adapters-off self is the KL reference, as in the run’s GRPO',
    'stage. To continue the run’s own adapter instead, give its base and the adapter (the Runs page’s',
    '“adapter (PEFT)” download): `--model BASE_MODEL --adapter PEFT_ADAPTER`.',
  ],
  verl: [
    'This run trained LoRA adapters: `run_grpo.sh` sets verl’s `lora_rank`, `lora_alpha` and `target_modules`',
    'from it, so verl trains fresh adapters on `MODEL` (the merged checkpoint, the KL reference with adapters',
    'off). To continue the run’s own adapter: `MODEL=BASE_MODEL bash run_grpo.sh',
    'actor_rollout_ref.model.lora_adapter_path=PEFT_ADAPTER`.',
  ],
};

export function readme(target: Target, run: RunRecord, data: RunData): string {
  const lora = mapLora(target, run.config.lora);
  const rows = [...mapSettings(target, run.config.grpo).rows, ...lora.rows];
  const fixed = target === 'trl' ? TRL_FIXED : VERL_FIXED;
  const differs = rows.filter((r) => r.differs);
  return [
    `# Rubric Lab run ${run.id} for ${target === 'trl' ? 'TRL' : 'verl'}`,
    '',
    `"${run.name}": its GRPO data, reward and settings, mapped against ${MAPPED_AGAINST[target]}.`,
    '',
    '## Files',
    ...FILES[target],
    '- `sft/train.jsonl`, `sft/test.jsonl`: the distillation traces as chat rows (`messages`: system, user,',
    '  assistant = the oracle’s trace) for TRL’s SFTTrainer (`trl sft --dataset_name sft ...`) or OpenRLHF',
    '  (`--dataset sft/train.jsonl --input_key messages --apply_chat_template`).',
    '- `reward.py`: the reward, standard library only. `manifest.json`: the run, the row counts, the notes.',
    '',
    '## Run it',
    ...RUN[target],
    ...(lora.rows.length ? ['', ...LORA_START[target]] : []),
    '',
    '## The prompt',
    'Every prompt is RM-R1’s instruct prompt as two chat messages, its system instruction and the user message',
    '(`[Client Question]`, then each response between `[The Start of Chatbot A’s Response]` and its end), for',
    'the trainer to render with the model’s chat template. Our own small judges read a compact prompt instead;',
    'the cluster trains real chat models.',
    '',
    '## The reward',
    '+1 iff the judgement stopped on its end-of-sequence token and its last 80 characters hold exactly one',
    '`<answer>[[A]]</answer>` / `<answer>[[B]]</answer>`, naming the labelled winner; −1 otherwise, including a',
    'judgement cut off at the length limit. How `reward.py` learns that a judgement was cut off:',
    ...CUT_OFF[target],
    '',
    '## Settings',
    `| ours | ${target} | note |`,
    '|---|---|---|',
    ...rows.map((r) => `| ${code(r.field)} | ${keysText(target, r.keys) || '–'} | ${r.note} |`),
    ...fixed.map((f) => `| – | ${keysText(target, { [f.key]: f.value })} | ${f.why} |`),
    '',
    ...(differs.length
      ? [
          'Where the trainer computes differently for this run:',
          ...differs.map((r) => `- ${code(r.field)}: ${r.differs}`),
        ]
      : ['For this run the trainer computes what we do, setting by setting.']),
    '',
    `Token counts (\`grpo.maxCompletionLength\` = ${run.config.grpo.maxCompletionLength}) are our judges’ tokens;`,
    'a real model writing RM-R1’s traces needs more (RM-R1: 8192): raise it in the settings file.',
    '',
    '## Notes',
    ...data.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}
