// The TRL export (huggingface/trl @ f2cd577): GRPO rows with `prompt` as chat messages and RM-R1's label
// column `winner`, grpo_config.json (GRPOConfig names, from settings_map.ts), and train_grpo.py, which
// builds GRPOTrainer with reward.py's TRL reward and sets the batch from the machine's process count. A LoRA
// run adds peft_config.json (PEFT's LoraConfig from lora_map.ts): the cluster run trains fresh adapters on the
// merged checkpoint, whose adapters-off model is TRL's KL reference, as the run's GRPO stage did.
import type { RunRecord } from '../lab_store';
import type { ExportFile } from './files';
import { jsonlFile } from './files';
import { mapLora } from './lora_map';
import { judgeMessages, rmR1Label, type RunData, type ShownPair } from './run_data';
import { mapSettings, type Keys } from './settings_map';

/** TRL settings that are not fields of ours, each with why. */
export const TRL_FIXED: { key: string; value: Keys[string]; why: string }[] = [
  { key: 'mask_truncated_completions', value: false, why: 'a cut judgement stays in the loss with −1, as ours' },
  { key: 'remove_unused_columns', value: false, why: 'the reward reads the `winner` column' },
  { key: 'logging_steps', value: 1, why: 'metrics every step, as our metrics.jsonl' },
];

/** One GRPO row: the judge's chat prompt, the label, and where it came from. */
export function trlRow({ pair, order }: ShownPair) {
  return {
    prompt: judgeMessages(pair),
    winner: rmR1Label(pair),
    pair_id: pair.id,
    order,
    category: pair.category ?? null,
    subset: pair.subset ?? null,
  };
}

/** GRPOConfig's settings for this run. */
export function trlConfig(run: RunRecord): Keys {
  const fixed = Object.fromEntries(TRL_FIXED.map((f) => [f.key, f.value]));
  return { ...mapSettings('trl', run.config.grpo).keys, ...fixed };
}

export function trlFiles(run: RunRecord, data: RunData): ExportFile[] {
  return [
    jsonlFile('grpo/train.jsonl', data.grpoTrain.map(trlRow)),
    jsonlFile('grpo/test.jsonl', data.grpoTest.map(trlRow)),
    { path: 'grpo_config.json', text: `${JSON.stringify(trlConfig(run), null, 2)}\n` },
    ...trlPeftFiles(run),
    { path: 'train_grpo.py', text: TRAIN_GRPO_PY },
  ];
}

/** peft_config.json for a LoRA run: LoraConfig's arguments (task_type added by train_grpo.py); none otherwise. */
export function trlPeftFiles(run: RunRecord): ExportFile[] {
  const { keys } = mapLora('trl', run.config.lora);
  return Object.keys(keys).length ? [{ path: 'peft_config.json', text: `${JSON.stringify(keys, null, 2)}\n` }] : [];
}

/** The launcher: `accelerate launch --num_processes N train_grpo.py --model M [--adapter A]`. */
export const TRAIN_GRPO_PY = `"""Rubric Lab's GRPO stage on TRL (huggingface/trl @ f2cd577).

From this export's data, reward and settings:

  accelerate launch --num_processes 8 train_grpo.py --model MODEL [--adapter DIR] [--use-vllm]

MODEL: the merged checkpoint folder (or a Hugging Face model id). --adapter: a PEFT adapter trained on MODEL,
to continue; TRL keeps a frozen copy of it as the KL reference. grpo_config.json holds the GRPOConfig settings
mapped from the run; this script adds the ones that depend on the machine. peft_config.json (a LoRA run):
fresh adapters with the run's LoraConfig on MODEL, whose adapters-off self is then the KL reference.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def accumulation(completions_per_step, per_device, processes):
    """gradient_accumulation_steps for one optimizer step per generation batch, as the run took."""
    per_pass = per_device * processes
    if completions_per_step % per_pass:
        sys.exit(
            f"{completions_per_step} completions per step do not split into {processes} processes x "
            f"{per_device} per device: pick a --per-device-batch that divides {completions_per_step // processes}"
        )
    return completions_per_step // per_pass


def main():
    ap = argparse.ArgumentParser(description="Rubric Lab's GRPO stage on TRL")
    ap.add_argument("--model", required=True, help="merged checkpoint folder or model id")
    ap.add_argument("--adapter", help="a PEFT adapter on --model to continue training")
    ap.add_argument("--output-dir", default=os.path.join(HERE, "output"))
    ap.add_argument("--per-device-batch", type=int, help="completions per device and pass (default: G)")
    ap.add_argument("--use-vllm", action="store_true", help="generate with vLLM (colocated)")
    args = ap.parse_args()

    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    sys.path.insert(0, HERE)
    from reward import make_trl_reward

    with open(os.path.join(HERE, "grpo_config.json")) as f:
        settings = json.load(f)
    processes = int(os.environ.get("WORLD_SIZE", "1"))
    per_device = args.per_device_batch or settings["num_generations"]
    steps = accumulation(settings["generation_batch_size"], per_device, processes)
    config = GRPOConfig(
        **settings,
        output_dir=args.output_dir,
        per_device_train_batch_size=per_device,
        gradient_accumulation_steps=steps,
        use_vllm=args.use_vllm,
        vllm_mode="colocate",
    )
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = args.model
    peft_config = None
    peft_file = os.path.join(HERE, "peft_config.json")
    if args.adapter:
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(args.model, dtype="auto")
        model = PeftModel.from_pretrained(base, args.adapter, is_trainable=True)
    elif os.path.exists(peft_file):
        from peft import LoraConfig

        with open(peft_file) as f:
            peft_config = LoraConfig(task_type="CAUSAL_LM", **json.load(f))
    data = load_dataset("json", data_files=os.path.join(HERE, "grpo", "train.jsonl"), split="train")
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[make_trl_reward(tokenizer)],
        args=config,
        train_dataset=data,
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    trainer.train()
    trainer.save_model(args.output_dir)


if __name__ == "__main__":
    main()
`;
