// What the one call guard must do for every slice that uses it: the in-flight flag is up exactly while the
// call runs, the error line is cleared as a call starts and holds the refusal's message after it fails (a
// custom message where the slice has one, the thrown value itself when it is no Error), the guarded call
// never throws to the page, and what must follow runs after success and failure alike.
import { beforeEach, describe, expect, it } from 'vitest';
import { guardCall } from './call_guard';
import { resetStore, useAppStore } from './store';

const get = useAppStore.getState;
const control = { inFlight: 'controlInFlight', error: 'runError' } as const;

describe('guardCall', () => {
  beforeEach(resetStore);

  it('raises the in-flight flag while the call runs and clears an old error as it starts', async () => {
    useAppStore.setState({ runError: 'an old refusal' });
    const seen: unknown[] = [];
    await guardCall(control, async () => {
      seen.push(get().controlInFlight, get().runError);
    });
    expect(seen).toEqual([true, null]);
    expect([get().controlInFlight, get().runError]).toEqual([false, null]);
  });

  it('a refusal becomes the error line, the flag comes down, and nothing is thrown', async () => {
    await expect(
      guardCall(control, async () => {
        throw new Error('A run is loaded; stop it before starting another');
      }),
    ).resolves.toBeUndefined();
    expect([get().controlInFlight, get().runError]).toEqual([
      false,
      'A run is loaded; stop it before starting another',
    ]);
    await guardCall({ inFlight: 'stInFlight', error: 'stError' }, () => Promise.reject('worker gone'));
    expect([get().stInFlight, get().stError]).toEqual([false, 'worker gone']);
  });

  it('a slice without a flag gets its own message, and what follows runs after success and failure', async () => {
    const after: (string | null)[] = [];
    const library = {
      error: 'libraryError',
      message: (e: unknown) => `Saving failed: ${(e as Error).message}`,
      finally: async () => {
        after.push(get().libraryError);
      },
    } as const;
    await guardCall(library, () => Promise.reject(new Error('disk')));
    await guardCall(library, async () => {});
    expect(after).toEqual(['Saving failed: disk', null]);
    expect(get().libraryError).toBeNull();
  });
});
