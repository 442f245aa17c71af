// WebGPU reports a failed pipeline, bind group or submit asynchronously, as an 'uncapturederror' event on
// the device, and the work that depended on it silently computes nothing: a run would go on training on
// garbage with one console line to show for it (tfjs does not listen). The backend watches its device
// here; training and evaluation loops call `throwIfDeviceError` after each step, so the run stops with the
// GPU's own message, naming what failed.

interface ErrorSource {
  addEventListener(type: 'uncapturederror', listener: (e: Event) => void): void;
  lost?: Promise<{ reason?: string; message?: string }>;
}

let first: string | null = null;
let count = 0;

function record(message: string): void {
  count++;
  first ??= message;
}

/** Starts keeping the device's uncaptured errors and its loss; the first one is thrown at the next check. */
export function watchDeviceErrors(device: ErrorSource): void {
  device.addEventListener('uncapturederror', (e) =>
    record((e as Event & { error?: { message?: string } }).error?.message ?? 'unknown GPU error'),
  );
  void device.lost?.then((info) =>
    record(`the GPU device was lost (${info.reason ?? 'unknown reason'}): ${info.message ?? ''}`.trim()),
  );
}

/** Throws the first GPU error seen since the last check (and clears it), saying during what it surfaced. */
export function throwIfDeviceError(during: string): void {
  if (first === null) return;
  const message = first.length > 800 ? `${first.slice(0, 800)}…` : first;
  const more = count > 1 ? ` (the first of ${count})` : '';
  first = null;
  count = 0;
  throw new Error(`WebGPU error during ${during}${more}: ${message}`);
}
