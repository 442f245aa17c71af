// The Hub access token, saved only when the user ticks "remember": in IndexedDB (its own small database),
// one per Hub URL, so a token for one Hub is never sent to a mirror. Never in localStorage, the URL, logs or
// run records. Where IndexedDB is blocked, nothing is remembered and the token lasts the visit.
import { openDB } from 'idb';

const DB = 'rubric-lab-hub-tokens';
const STORE = 'tokens';

const db = () => openDB(DB, 1, { upgrade: (d) => void d.createObjectStore(STORE) });

export async function rememberedToken(hubUrl: string): Promise<string | null> {
  try {
    const token = await (await db()).get(STORE, hubUrl);
    return typeof token === 'string' ? token : null;
  } catch {
    return null;
  }
}

export async function rememberToken(hubUrl: string, token: string): Promise<void> {
  try {
    await (await db()).put(STORE, token, hubUrl);
  } catch {
    // storage blocked: the token lasts this visit
  }
}

export async function forgetToken(hubUrl: string): Promise<void> {
  try {
    await (await db()).delete(STORE, hubUrl);
  } catch {
    // nothing was saved
  }
}
