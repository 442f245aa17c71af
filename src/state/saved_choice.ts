// Small choices the page remembers across reloads (which checkpoint judges, which weights a demo starts
// from), in localStorage. Where storage is blocked (or in Node) a choice lasts the visit only.
const PREFIX = 'rubric-lab:';

export function loadChoice(name: string): string | null {
  try {
    return localStorage.getItem(PREFIX + name);
  } catch {
    return null;
  }
}

export function saveChoice(name: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(PREFIX + name);
    else localStorage.setItem(PREFIX + name, value);
  } catch {
    // storage blocked: the choice lasts this visit
  }
}
