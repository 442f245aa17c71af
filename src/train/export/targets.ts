// The trainers a run exports to, by name; imports nothing, so the page can list them without the export code.
export const TARGETS = ['trl', 'verl'] as const;
export type Target = (typeof TARGETS)[number];
export const TARGET_NAMES: Record<Target, string> = { trl: 'TRL', verl: 'verl' };
