// The page's handle on the engine worker: one worker per page, wrapped by comlink.
import * as Comlink from 'comlink';
import type { EngineApi, EventSink } from './protocol';

let engine: Comlink.Remote<EngineApi> | null = null;

export function getEngine(): Comlink.Remote<EngineApi> {
  engine ??= Comlink.wrap<EngineApi>(new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' }));
  return engine;
}

/** Wraps an event callback so it can cross the worker boundary. */
export const sinkProxy = (sink: EventSink) => Comlink.proxy(sink);
