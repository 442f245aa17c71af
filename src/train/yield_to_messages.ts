// One turn of the event loop. On WASM and CPU every await of a training or generation step settles as
// a microtask, so a worker that only awaits never reads its message queue: pause, stop and cancel sent by
// the page would wait until the work ended. Long loops call this between units of work.
export const yieldToMessages = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
