// One file's download over HTTP into a sink (the cache's partial file): progress as it arrives (bytes, rate,
// time left), and after a dropped connection it asks for the rest only (`Range: bytes=N-`) and checks that
// the answer continues the same file (206 from byte N, the same ETag and total size); when it does not (the
// file changed, or the server ignores ranges) it starts the file over. Server errors and drops are tried
// again after a growing pause; 401/403/404 are not. Cancel with the signal: the bytes so far stay for later.
import {
  cancelled,
  type ErrorContext,
  httpError,
  ModelFetchError,
  networkError,
  retryableStatus,
  serverDetail,
} from './fetch_errors';
import { etaSeconds, type FileProgress, type FileState, rateMeter } from './progress';
import type { SourceFile } from './source';

/** Where a download writes; what an earlier try left is there to resume (the cache's partial file). */
export interface DownloadSink {
  received(): number;
  /** The ETag of the response the held bytes came from (null: none given). */
  etag(): string | null;
  /** Starts writing after what is held, or from nothing (`fromStart`), for a response with this ETag. */
  begin(etag: string | null, fromStart: boolean): Promise<void>;
  write(chunk: Uint8Array): Promise<void>;
  /** Stops writing; what was received is kept for a later try. */
  pause(): Promise<void>;
  /** Every byte is there: the file becomes complete. */
  finish(): Promise<void>;
}

export interface DownloadTarget {
  url: string;
  headers: Record<string, string>; // e.g. the Authorization of a gated model
  file: SourceFile;
  errors: ErrorContext; // names the repo, revision and file in messages
}

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (p: FileProgress) => void;
  fetch?: typeof fetch;
  /** Tries in a row that may fail (no byte received) before giving up. */
  retries?: number;
  /** The pause before try n (1-based) after a failure, in ms. */
  backoffMs?: (n: number) => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** At most one progress event per this many ms (the first and the last always go). */
  progressEveryMs?: number;
}

export const DEFAULT_RETRIES = 5;
export const defaultBackoff = (n: number) => Math.min(15_000, 500 * 2 ** (n - 1));
/** Starting over because the file changed is allowed this often per download (a file that keeps changing
 * would loop forever). */
const MAX_RESTARTS = 3;

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const t = setTimeout(resolve, ms);
    const stop = () => {
      clearTimeout(t);
      reject(cancelled());
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/** `bytes START-END/TOTAL` (TOTAL may be '*'). */
export function parseContentRange(header: string | null): { start: number; end: number; total: number | null } | null {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  return m ? { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) } : null;
}

/** Whether a 206 answer continues the held bytes of the same file. */
function continuesHeld(res: Response, from: number, file: SourceFile, heldEtag: string | null): boolean {
  const range = parseContentRange(res.headers.get('Content-Range'));
  const etag = res.headers.get('ETag');
  const sameFile = heldEtag === null ? etag === null : etag === heldEtag;
  return range !== null && range.start === from && range.total === file.size && sameFile;
}

function progressReporter(target: DownloadTarget, opts: DownloadOptions) {
  const now = opts.now ?? (() => performance.now());
  const every = opts.progressEveryMs ?? 250;
  const meter = rateMeter();
  let last = -Infinity;
  let trailing: ReturnType<typeof setTimeout> | null = null;
  let resumedFrom: number | undefined;
  const { path, size } = target.file;
  const send = (state: FileState, received: number) => {
    if (trailing !== null) clearTimeout(trailing);
    trailing = null;
    last = now();
    const rate = meter.rate();
    const eta = state === 'done' ? 0 : etaSeconds(size - received, rate);
    opts.onProgress?.({ path, state, received, total: size, rate, eta, resumedFrom });
  };
  return {
    startTry(from: number) {
      meter.reset();
      resumedFrom = from > 0 ? from : undefined;
      meter.add(now(), from);
    },
    report(state: FileState, received: number, force = false) {
      const t = now();
      if (state === 'downloading') meter.add(t, received);
      if (force || t - last >= every) return send(state, received);
      // a skipped report still shows once the interval is up: a stalled download shows what it holds
      if (trailing !== null) clearTimeout(trailing);
      trailing = setTimeout(() => send(state, received), every - (t - last));
    },
    /** Drops a pending report (the download ended or failed; its last word was or will be forced). */
    stop() {
      if (trailing !== null) clearTimeout(trailing);
      trailing = null;
    },
  };
}

/** Downloads `target` into `sink`, resuming what the sink holds. Throws a ModelFetchError. */
/** One download's state across its tries. */
interface Run {
  target: DownloadTarget;
  sink: DownloadSink;
  opts: DownloadOptions;
  progress: ReturnType<typeof progressReporter>;
  failures: number; // tries in a row that got nothing
  restarts: number; // times the file was started over
}

/** A try failed: pause, then wait before the next (or give up after too many in a row). */
async function failed(run: Run, e: ModelFetchError): Promise<void> {
  const { sink, opts } = run;
  await sink.pause();
  if (opts.signal?.aborted) throw cancelled();
  if (++run.failures > (opts.retries ?? DEFAULT_RETRIES)) throw e;
  run.progress.report('retrying', sink.received(), true);
  await (opts.sleep ?? sleep)((opts.backoffMs ?? defaultBackoff)(run.failures), opts.signal);
}

async function startOver(run: Run, why: string): Promise<void> {
  if (++run.restarts > MAX_RESTARTS)
    throw new ModelFetchError(`${run.target.errors.what}: ${why}, again and again`, 'changed');
  await run.sink.begin(null, true);
  await run.sink.pause();
}

const changed = (run: Run, what: string) =>
  new ModelFetchError(`${run.target.errors.what}: ${what}; load the model again`, 'changed');

/** Asks for what the sink lacks; the response to read, or null when this try is over (wait, start over). */
async function request(run: Run, from: number): Promise<Response | null> {
  const { target, sink, opts } = run;
  const { file, errors } = target;
  const headers = from > 0 ? { ...target.headers, Range: `bytes=${from}-` } : target.headers;
  let res: Response;
  try {
    res = await (opts.fetch ?? globalThis.fetch)(target.url, { headers, signal: opts.signal });
  } catch (e) {
    if (opts.signal?.aborted) throw cancelled();
    await failed(run, networkError(errors.what, e));
    return null;
  }
  if (res.status === 416 && from > 0) {
    await startOver(run, 'the server would not send the rest of the file');
    return null;
  }
  if (!res.ok) {
    const err = httpError(res.status, errors, await serverDetail(res));
    if (!retryableStatus(res.status)) throw err;
    await failed(run, err);
    return null;
  }
  if (res.status === 206 && !continuesHeld(res, from, file, sink.etag())) {
    await res.body?.cancel();
    await startOver(run, 'the file changed on the server since the last try');
    return null;
  }
  const length = Number(res.headers.get('Content-Length') ?? NaN);
  if (res.status === 200 && Number.isFinite(length) && length !== file.size) {
    await res.body?.cancel();
    throw changed(run, `the server sends ${length} bytes, its file list said ${file.size}`);
  }
  return res;
}

/** Reads a response's body into the sink; whether the file is now complete. */
async function receive(run: Run, res: Response): Promise<boolean> {
  const { sink, progress, opts, target } = run;
  const { size } = target.file;
  await sink.begin(res.headers.get('ETag'), res.status !== 206);
  progress.startTry(sink.received());
  progress.report('downloading', sink.received(), true);
  const before = sink.received();
  let dropped: unknown = null;
  try {
    await copyBody(res, sink, (n) => progress.report('downloading', n));
  } catch (e) {
    if (opts.signal?.aborted) {
      await sink.pause();
      throw cancelled();
    }
    dropped = e;
  }
  if (sink.received() > size) {
    await sink.pause();
    throw changed(run, `the server sent more than the ${size} bytes its file list said`);
  }
  if (sink.received() === size) return true;
  if (sink.received() > before) run.failures = 0; // a flaky line that keeps delivering is not failing
  const why = dropped ? `: ${(dropped as Error).message ?? dropped}` : '';
  const what = `${target.errors.what}: the connection dropped after ${sink.received()} of ${size} bytes${why}`;
  await failed(run, new ModelFetchError(what, 'network'));
  return false;
}

/** Downloads `target` into `sink`, resuming what the sink holds. Throws a ModelFetchError. */
export async function downloadFile(target: DownloadTarget, sink: DownloadSink, opts: DownloadOptions = {}) {
  const run: Run = { target, sink, opts, progress: progressReporter(target, opts), failures: 0, restarts: 0 };
  const { size } = target.file;
  try {
    for (;;) {
      if (opts.signal?.aborted) throw cancelled();
      const from = sink.received();
      if (from > 0 && from === size) break; // an earlier try got every byte
      const res = await request(run, from);
      if (res && (await receive(run, res))) break;
    }
    await sink.finish();
    run.progress.report('done', size, true);
  } finally {
    run.progress.stop();
  }
}

async function copyBody(res: Response, sink: DownloadSink, onBytes: (received: number) => void): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      await sink.write(value);
      onBytes(sink.received());
    }
  } finally {
    reader.releaseLock();
  }
}
