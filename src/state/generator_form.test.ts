// What must hold for the generator form: the defaults are valid and equal the world's DEFAULT_KNOBS;
// every out-of-range, fractional or non-numeric input is refused with a message naming the field and
// the range; an all-zero mix is refused; the preview counts sum to n.
import { describe, expect, it } from 'vitest';
import { DEFAULT_KNOBS } from '../rm/world';
import { fieldOf } from '../train/run_config';
import { checkGenForm, defaultGenForm, GEN_FIELDS, genDatasetName, MAX_PAIRS, previewCounts } from './generator_form';

const form = (over: Record<string, string>) => ({ ...defaultGenForm(), ...over });

describe('checkGenForm', () => {
  it("accepts the defaults, which are the world's own knobs", () => {
    const c = checkGenForm(defaultGenForm());
    expect(c.ok).toBe(true);
    const { reasoningTasks, ...knobs } = DEFAULT_KNOBS;
    void reasoningTasks;
    expect(c.options).toEqual({ n: 1000, seed: 1, ...knobs });
  });

  it('"Defaults that disagree": the knobs a run also sets have its default and range (run_config.ts)', () => {
    const form = Object.fromEntries(GEN_FIELDS.map((f) => [f.key, f]));
    for (const k of ['digits', 'maxConstraints', 'maxWords'] as const) {
      const run = fieldOf(`world.${k}`)!;
      expect([form[k].default, form[k].min, form[k].max], k).toEqual([run.default, run.min, run.max]);
    }
  });

  it('refuses n outside 1..20,000, fractional n, and text, naming the field and the range', () => {
    expect(checkGenForm(form({ n: '0' })).errors.n).toBe('pairs must be between 1 and 20,000 (got 0)');
    expect(checkGenForm(form({ n: String(MAX_PAIRS + 1) })).errors.n).toBe(
      'pairs must be between 1 and 20,000 (got 20001)',
    );
    expect(checkGenForm(form({ n: '2.5' })).errors.n).toBe(
      'pairs must be a whole number between 1 and 20,000 (got 2.5)',
    );
    expect(checkGenForm(form({ n: 'lots' })).errors.n).toBe('pairs must be a number between 1 and 20,000 (got "lots")');
    expect(checkGenForm(form({ n: '' })).errors.n).toBe('pairs must be a number between 1 and 20,000');
    expect(checkGenForm(form({ n: String(MAX_PAIRS) })).ok).toBe(true);
  });

  it('refuses knobs outside their ranges and reports every bad field at once', () => {
    const c = checkGenForm(
      form({ digits: '4', maxConstraints: '0', maxWords: '2', hardLongerRate: '1.5', seed: '-1', 'mix.safety': '-1' }),
    );
    expect(c.ok).toBe(false);
    expect(Object.keys(c.errors).sort()).toEqual([
      'digits',
      'hardLongerRate',
      'maxConstraints',
      'maxWords',
      'mix.safety',
      'seed',
    ]);
    expect(c.errors.digits).toBe('digits must be between 1 and 3 (got 4)');
    expect(c.errors.hardLongerRate).toBe('hard longer rate must be between 0 and 1 (got 1.5)');
  });

  it('refuses a mix with no share above zero, but accepts a single section', () => {
    const zero = { 'mix.chat': '0', 'mix.chat-hard': '0', 'mix.safety': '0', 'mix.reasoning': '0' };
    expect(checkGenForm(form(zero)).errors['mix.chat']).toMatch(/at least one section/);
    const c = checkGenForm(form({ ...zero, 'mix.reasoning': '2' }));
    expect(c.ok && c.options.mix).toEqual({ chat: 0, 'chat-hard': 0, safety: 0, reasoning: 2 });
  });
});

describe('previewCounts / genDatasetName', () => {
  it('splits n exactly by the mix', () => {
    const c = checkGenForm(form({ n: '3001', 'mix.chat': '2' }));
    if (!c.ok) throw new Error('form refused');
    const counts = previewCounts(c.options);
    expect(Object.values(counts).reduce((s, x) => s + x, 0)).toBe(3001);
    // 2/5 of 3001 = 1200.4, the largest remainder
    expect(counts).toEqual({ chat: 1201, 'chat-hard': 600, safety: 600, reasoning: 600 });
  });
  it('uses the typed name, else one that says seed and size', () => {
    const c = checkGenForm(form({ n: '3000', seed: '7' }));
    if (!c.ok) throw new Error('form refused');
    expect(genDatasetName(form({ name: '  ' }), c.options)).toBe('synthetic seed 7 · 3,000 pairs');
    expect(genDatasetName(form({ name: 'mine' }), c.options)).toBe('mine');
  });
});
