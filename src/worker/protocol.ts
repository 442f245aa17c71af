// The one typed boundary between the page and the engine worker: the API the worker exposes (through
// comlink) and the events it streams back. Plain data only; no tensors cross it.
import type { BackendReport } from '../engine/backend';
import type { SmokeConfig, SmokeStep } from '../train/smoke';

export type WorkerEvent =
  | { kind: 'smoke-step'; step: SmokeStep; total: number }
  | { kind: 'smoke-done'; steps: number; firstLoss: number; lastLoss: number }
  | { kind: 'error'; where: string; message: string };

export type EventSink = (e: WorkerEvent) => void;

export interface EngineApi {
  /** Picks the backend (WebGPU, else WASM, WebGL, CPU) and says which and why. */
  init(opts: { forceBackend?: BackendReport['name'] }): Promise<BackendReport>;
  /** Runs the smoke train, streaming one event per step; resolves when done or stopped. */
  smokeTrain(cfg: SmokeConfig, sink: EventSink): Promise<void>;
  /** Stops a running smoke train after its current step. */
  stop(): void;
}
