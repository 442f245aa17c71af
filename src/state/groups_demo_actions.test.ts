// The group view's demo against the real run host (WASM) standing in for the worker, the shipped judges read
// from public/. Must hold: a first visit's demo starts from the shipped distilled judge (its very files) on
// its run's world, 2 pairs in both orders × G = 6, and runs once; its groups are GRPO's (rewards ±1,
// advantages summing to 0, zero in a zero-variance group) with TRL's reward metrics (reward = the mean
// reward, frac_reward_zero_std = the share of judgements in zero-variance groups) and it leaves no tensors
// behind; the next demo samples with the next seed; the chosen weights survive a reload, a deleted
// checkpoint falls back to the shipped one; unreadable static files give a message, not a crash.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { switchTestBackend } from '../engine/test_backends';
import type { DemoStepRequest } from '../worker/protocol';
import { createRunHost } from '../worker/run_host';

const host = vi.hoisted(() => ({
  current: null as null | ReturnType<typeof import('../worker/run_host').createRunHost>,
  requests: [] as DemoStepRequest[],
}));
vi.mock('../worker/client', () => ({
  getEngine: () => ({
    demoGrpoGroups: (req: DemoStepRequest) => {
      host.requests.push(req);
      return host.current!.demoGrpoGroups(req);
    },
  }),
}));
const saved = new Map<string, string>();
vi.stubGlobal('localStorage', {
  getItem: (k: string) => saved.get(k) ?? null,
  setItem: (k: string, v: string) => saved.set(k, v),
  removeItem: (k: string) => saved.delete(k),
});

const { chooseDemoWeights, demoWeightsOf, restoreDemoWeights, runGroupsDemo, startGroupsDemoOnce } = await import(
  './groups_demo_actions'
);
const { SHIPPED_DISTILLED, SHIPPED_JUDGE, setStaticReader, shippedInfo } = await import('./builtin_judges');
const { resetStore, useAppStore } = await import('./store');
const get = useAppStore.getState;
const readPublic = (path: string) => readFile(join('public', path)).then((b) => new Uint8Array(b));

describe('group view demo (WASM, shipped judges from public/)', () => {
  beforeAll(async () => {
    await switchTestBackend('wasm');
    host.current = createRunHost(() => undefined);
  });

  it('says why when the static files cannot be read', async () => {
    resetStore();
    setStaticReader((path) => Promise.reject(new Error(`${path}: HTTP 404`)));
    await runGroupsDemo();
    expect(get().demoError).toMatch(/Could not load the shipped judge's card: judges\/tiny\/card.json: HTTP 404/);
    expect(get()).toMatchObject({ demoInFlight: false, demoReport: null });
    expect(host.requests).toHaveLength(0);
  });

  it("a first visit's demo: the shipped distilled judge on its world, once, GRPO's groups", async () => {
    resetStore();
    setStaticReader(readPublic);
    const before = tf.memory().numTensors;
    startGroupsDemoOnce();
    startGroupsDemoOnce(); // a second mount while it runs starts nothing
    await vi.waitFor(() => expect(get().demoInFlight, get().demoError ?? '').toBe(false), {
      timeout: 110_000,
      interval: 200,
    });
    expect(get().demoError).toBeNull();
    expect(host.requests).toHaveLength(1);
    const req = host.requests[0];
    expect(req.init!['model.safetensors']).toEqual(await readPublic('judges/tiny/distilled/model.safetensors'));
    const { run } = await shippedInfo();
    expect(req.config.world).toMatchObject({ ...run.world, nDistill: 0, nGrpo: 32, nEval: 1 });
    expect(req.config.seed).toBe(run.seed);
    expect(req.config.grpo).toMatchObject({ promptsPerStep: 4, numGenerations: 6, categories: '', seed: 1 });

    const r = get().demoReport!;
    expect(get().demoWeightsUsed).toBe(SHIPPED_DISTILLED);
    expect(r.sample.completions).toHaveLength(4 * 6);
    expect(r.score.rewards.every((x) => x === 1 || x === -1)).toBe(true);
    expect(r.advantages.groups).toHaveLength(4);
    for (const g of r.advantages.groups) {
      expect(Math.abs(g.advantages.reduce((a, b) => a + b, 0))).toBeLessThan(1e-6);
      if (g.zeroStd) expect(g.advantages.every((a) => a === 0)).toBe(true);
    }
    const mean = r.score.rewards.reduce((a, b) => a + b, 0) / r.score.rewards.length;
    expect(r.metrics.reward).toBeCloseTo(mean, 12);
    expect(r.metrics.frac_reward_zero_std).toBeCloseTo(r.advantages.groups.filter((g) => g.zeroStd).length / 4, 12);
    expect(tf.memory().numTensors).toBe(before);

    await runGroupsDemo();
    expect(host.requests[1].config.grpo.seed).toBe(2);
    startGroupsDemoOnce(); // demos ran: the first visit's demo is not run again
    expect(host.requests).toHaveLength(2);
  });

  it('remembers the chosen weights across a reload; a checkpoint no longer stored falls back', () => {
    resetStore();
    expect(demoWeightsOf(get())).toBe(SHIPPED_DISTILLED);
    chooseDemoWeights(SHIPPED_JUDGE);
    resetStore();
    restoreDemoWeights();
    expect(demoWeightsOf(get())).toBe(SHIPPED_JUDGE);
    chooseDemoWeights('');
    resetStore();
    restoreDemoWeights();
    expect(demoWeightsOf(get())).toBe(''); // fresh weights, as chosen
    chooseDemoWeights('deleted-checkpoint');
    resetStore();
    restoreDemoWeights();
    expect(demoWeightsOf(get())).toBe(SHIPPED_DISTILLED);
  });
});
