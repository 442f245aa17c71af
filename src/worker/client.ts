// The page's handle on the engine worker: one worker per page, wrapped by comlink; `connectEngine`
// registers the page's event handler once.
import * as Comlink from 'comlink';
import type { EngineApi, EventSink } from './protocol';

let engine: Comlink.Remote<EngineApi> | null = null;

export function getEngine(): Comlink.Remote<EngineApi> {
  engine ??= Comlink.wrap<EngineApi>(new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' }));
  return engine;
}

/** Sends every worker event to `sink` (call once, before init). */
export function connectEngine(sink: EventSink): Promise<void> {
  return getEngine().connect(Comlink.proxy(sink));
}
