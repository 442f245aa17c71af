// The one typed boundary between the page and the engine worker: the API the worker exposes (through
// comlink) and the events it streams back through the sink the page connects once. Plain data only; no
// tensors cross it (checkpoint files cross as bytes).
import type { BackendName, BackendReport } from '../engine/backend';
import type { CheckpointFiles } from '../engine/checkpoint';
import type { KernelChoice, KernelMode } from '../engine/kernel_choice';
import type { Pair } from '../rm/pair';
import type { RunStatus } from '../train/lab_store';
import type { GrpoStepReport, StageName, StageOutput } from '../train/grpo_types';
import type { PhaseProgress, PipelineEvent } from '../train/pipeline';
import type { ResumeInputs } from '../train/resume';
import type { RunConfig } from '../train/run_config';
import type { SmokeStep } from '../train/smoke';
import type { JudgeApi, JudgeEvent } from './judge_protocol';
import type { ModelEvent, ModelsApi } from './models_protocol';

export interface MemoryReport {
  numTensors: number;
  numBytes: number; // tensor bytes the backend holds
  numBytesInGPU?: number; // WebGPU: bytes in live GPU buffers
  numBytesAllocatedInGPU?: number; // WebGPU: bytes its buffer pool holds, free ones included
}

export type WorkerEvent =
  /** What one unit of a run's work produced (metrics, step reports, evaluations, checkpoints). */
  | { kind: 'run'; runId: string; events: PipelineEvent[]; progress: PhaseProgress[] }
  | { kind: 'run-status'; runId: string; status: RunStatus; error?: string }
  | { kind: 'memory'; memory: MemoryReport }
  /** One step of the engine check (the smoke train). */
  | { kind: 'smoke'; step: SmokeStep }
  /** The kernel self-check at the first start on an adapter: `done` of `total` cases. */
  | { kind: 'kernel-check'; done: number; total: number }
  /** A failure outside a run's step (e.g. the GPU device was lost); `fatal` means reload to go on. */
  | { kind: 'error'; where: string; message: string; fatal: boolean }
  | JudgeEvent
  | ModelEvent;

export type EventSink = (e: WorkerEvent) => void;

export interface StartRunRequest {
  runId: string;
  config: RunConfig;
  init?: CheckpointFiles; // start from these weights instead of fresh ones
  /** Start from a real model of the model cache (its id): the worker reads its files from the cache itself. */
  model?: string;
  baseName?: string; // what they are (a Hub id, a checkpoint): a LoRA checkpoint's adapter names it as its base
  grpoPairs?: Pair[]; // label-only pairs for GRPO instead of the synthetic world's (e.g. "my labels")
  distillPairs?: Pair[]; // pairs with judge traces to distil on instead of the world's (e.g. RM-R1's SFT records)
}

/** A stopped or interrupted run going on from its resume snapshot, its checkpoint and (mid-GRPO) π_ref's. */
export interface ResumeRunRequest extends ResumeInputs {
  runId: string;
  config: RunConfig; // the run's own
  baseName?: string; // as StartRunRequest's
  grpoPairs?: Pair[]; // the dataset GRPO ran on, when not the synthetic world's
  distillPairs?: Pair[]; // the dataset it distilled on, when not the world's traces
  /** The run started from this real model of the model cache: where the snapshot needs the start's weights
   * (under LoRA adapters, or π_ref), `base` / `reference` come empty and the worker reads them from the cache. */
  startModel?: string;
}

export type StepThroughRequest =
  /** The next GRPO step of the paused live run; once begun it is booked into the run. */
  | { source: 'live' }
  /** A fresh small GRPO run on the built-in world, from these weights (or a fresh model). */
  | { source: 'demo'; config: RunConfig; init?: CheckpointFiles };

/** A demo GRPO step on the built-in world of `config`, from these weights (or a fresh model). */
export interface DemoStepRequest {
  config: RunConfig;
  init?: CheckpointFiles;
}

/** What the group view draws of a GRPO step: each prompt's judgements, their rewards and advantages. */
export type GroupsOfStep = Pick<GrpoStepReport, 'step' | 'sample' | 'score' | 'advantages'>;

export interface StepThroughInfo {
  source: 'live' | 'demo';
  step: number; // the GRPO step, 1 = the first
  stages: StageName[]; // in order; loss/update repeat μ times
  grpo: RunConfig['grpo']; // the settings the formulas are shown with
}

export interface RunApi {
  /** Builds the model and the pipeline; the run waits ('paused') for play() or stepOnce(). A refused start
   * (settings the data cannot serve, a checkpoint that does not decode) rejects with the reason and leaves
   * nothing loaded. */
  startRun(req: StartRunRequest): Promise<void>;
  /** Loads a run from its resume snapshot; it waits ('paused') as a started one does, and refuses the same way. */
  resumeRun(req: ResumeRunRequest): Promise<void>;
  /** Runs units of work until paused, stopped, done or failed; resolves then. */
  play(): Promise<void>;
  /** Stops the loop after the current unit. */
  pause(): void;
  /** One unit of work (an SFT step, an evaluation batch or a GRPO step) while paused. */
  stepOnce(): Promise<void>;
  /** Ends the run after the current unit and sends a 'stopped' checkpoint. */
  stop(): Promise<void>;
  beginStepThrough(req: StepThroughRequest): Promise<StepThroughInfo>;
  /** Runs the next stage of the step-through's GRPO step and returns what it computed. */
  nextStage(): Promise<StageOutput>;
  /** Ends the step-through (a live step is run to its end first, so the run stays consistent). */
  endStepThrough(): Promise<void>;
  /** The groups of one GRPO step of a fresh small demo run (sample, score, advantages; no update, nothing
   * saved), for the group view. Refused while a run is playing. */
  demoGrpoGroups(req: DemoStepRequest): Promise<GroupsOfStep>;
}

/** How the engine starts: the backend to try first (the page's measured choice, or the link's override) and
 * the kernel rule, with why when the page asks for stock ops (they measured faster than fused). */
export interface InitRequest {
  forceBackend?: BackendName;
  kernels?: KernelMode;
  kernelReason?: string;
}

export interface EngineApi extends RunApi, JudgeApi, ModelsApi {
  /** Registers the page's event sink; every event of the worker goes there. */
  connect(sink: EventSink): void;
  /** Starts the backend asked for (else WebGPU, WASM, WebGL, CPU in turn) and says which and why; then,
   * without holding the answer back, the kernels (engine/kernel_choice.ts: by default fused where the kernel
   * self-check passes on this adapter; the check runs once per adapter, with 'kernel-check' events). Engine
   * work waits for both. */
  init(opts: InitRequest): Promise<BackendReport>;
  /** The kernel path in force and why, once init has chosen it. */
  kernels(): Promise<KernelChoice>;
  memory(): Promise<MemoryReport>;
  /** The engine check: `nano` learns a short built-in text for a few dozen steps, each step streamed as
   * a 'smoke' event; resolves with the first and last loss. Refused while a run is playing. */
  smokeTrain(): Promise<{ first: number; last: number; steps: number }>;
  /** The kernel rule from now on ('fused': our WebGPU programs, 'stock': tfjs ops, 'auto': fused where the
   * self-check passes); refused while a run is playing. */
  setKernels(mode: KernelMode): Promise<KernelChoice>;
}
