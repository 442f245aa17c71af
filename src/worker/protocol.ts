// The one typed boundary between the page and the engine worker: the API the worker exposes (through
// comlink) and the events it streams back through the sink the page connects once. Plain data only; no
// tensors cross it (checkpoint files cross as bytes).
import type { BackendName, BackendReport } from '../engine/backend';
import type { CheckpointFiles } from '../engine/checkpoint';
import type { Pair } from '../rm/pair';
import type { RunStatus } from '../train/lab_store';
import type { StageName, StageOutput } from '../train/grpo_step';
import type { PhaseProgress, PipelineEvent } from '../train/pipeline';
import type { RunConfig } from '../train/run_config';
import type { SmokeStep } from '../train/smoke';
import type { JudgeApi, JudgeEvent } from './judge_protocol';

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
  /** A failure outside a run's step (e.g. the GPU device was lost); `fatal` means reload to go on. */
  | { kind: 'error'; where: string; message: string; fatal: boolean }
  | JudgeEvent;

export type EventSink = (e: WorkerEvent) => void;

export interface StartRunRequest {
  runId: string;
  config: RunConfig;
  init?: CheckpointFiles; // start from these weights instead of fresh ones
  grpoPairs?: Pair[]; // label-only pairs for GRPO instead of the synthetic world's (e.g. "my labels")
}

export type StepThroughRequest =
  /** The next GRPO step of the paused live run; once begun it is booked into the run. */
  | { source: 'live' }
  /** A fresh small GRPO run on the built-in world, from these weights (or a fresh model). */
  | { source: 'demo'; config: RunConfig; init?: CheckpointFiles };

export interface StepThroughInfo {
  source: 'live' | 'demo';
  step: number; // 0-based GRPO step
  stages: StageName[]; // in order; loss/update repeat μ times
  grpo: RunConfig['grpo']; // the settings the formulas are shown with
}

export interface RunApi {
  /** Builds the model and the pipeline; the run waits ('paused') for play() or stepOnce(). */
  startRun(req: StartRunRequest): Promise<void>;
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
}

export interface EngineApi extends RunApi, JudgeApi {
  /** Registers the page's event sink; every event of the worker goes there. */
  connect(sink: EventSink): void;
  /** Picks the backend (WebGPU, else WASM, WebGL, CPU) and says which and why. */
  init(opts: { forceBackend?: BackendName }): Promise<BackendReport>;
  memory(): Promise<MemoryReport>;
  /** The engine check: `nano` learns a short built-in text for a few dozen steps, each step streamed as
   * a 'smoke' event; resolves with the first and last loss. Refused while a run is playing. */
  smokeTrain(): Promise<{ first: number; last: number; steps: number }>;
  /** Our fused WebGPU programs instead of stock tfjs ops (engine/kernels); refused while a run is playing. */
  setFusedKernels(on: boolean): Promise<boolean>;
}
