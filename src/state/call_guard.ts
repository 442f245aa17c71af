// The one guard around the store's calls to the worker and to storage: it marks the call in flight (where
// a slice shows that), clears the slice's error line as the call starts and sets it to the refusal's
// message when it fails, then runs what must follow either way. A guarded call never throws to the page.
import { useAppStore, type AppState } from './store';

/** The store's keys whose values are of type V. */
type KeysOf<V> = { [K in keyof AppState]: AppState[K] extends V ? K : never }[keyof AppState];

export interface CallGuard {
  inFlight?: KeysOf<boolean>; // true while the call runs
  error: KeysOf<string | null>; // the slice's error line
  message?: (e: unknown) => string; // what the error line says; by default the error's own message
  finally?: () => Promise<void>; // after the call, failed or not (e.g. refresh the lists)
}

/** A thrown value's message (workers and libraries may throw non-Errors). */
export const errorMessage = (e: unknown): string => (e as Error | null)?.message ?? String(e);

const put = (key: keyof AppState, value: unknown) => useAppStore.setState({ [key]: value } as Partial<AppState>);

export async function guardCall(g: CallGuard, work: () => Promise<void>): Promise<void> {
  if (g.inFlight) put(g.inFlight, true);
  put(g.error, null);
  try {
    await work();
  } catch (e) {
    put(g.error, (g.message ?? errorMessage)(e));
  } finally {
    if (g.inFlight) put(g.inFlight, false);
  }
  await g.finally?.();
}
