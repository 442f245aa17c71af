// The judge's part of the worker API (loading a checkpoint, judging a pair with streaming, the swap
// check and the N-sample vote) and its events. Filled in with the Judge page.
export type JudgeEvent = never;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JudgeApi {}
