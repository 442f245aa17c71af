// The supervised step with LoRA adapters: only the adapters move and only they have AdamW moments (a trainer
// that updated or tracked the frozen base would show here), and a nano model still overfits a short text
// through them, with dropout on.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../engine/config';
import { addLora, LORA_TARGETS, loraParams } from '../engine/lora';
import { initParams } from '../engine/model';
import { ADAMW_MOMENTS } from '../engine/optimizer';
import { switchTestBackend } from '../engine/test_backends';
import { createLmTrainer } from './lm_step';

const cfg = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });

describe('LM step with LoRA', () => {
  beforeAll(() => switchTestBackend('cpu'));

  it('trains the adapters alone: the base is unchanged, loss on a short text falls by half', async () => {
    // a frozen head of std 0.02 bounds the logits too tightly to fit anything: a wider start
    const params = initParams({ ...cfg, initializer_range: 0.3 }, 1);
    const adapters = addLora(params, cfg, { rank: 4, alpha: 8, dropout: 0.1, targets: LORA_TARGETS, rslora: false });
    const base = Object.entries(params).filter(([n]) => !(n in adapters));
    const before = await Promise.all(base.map(([, v]) => v.data()));
    const trainer = createLmTrainer(params, cfg, { lr: 1e-2, ...ADAMW_MOMENTS, weightDecay: 0, maxGradNorm: 1 });
    expect(Object.keys(trainer.optimizer.state().m).sort()).toEqual(Object.keys(loraParams(params)).sort());
    const seq = [1, 5, 9, 4, 7, 3, 12, 8, 8, 6, 11, 13, 2];
    const batch = { ids: [seq.slice(0, -1)], targets: [seq.slice(1)], mask: [seq.slice(1).map(() => 1)] };
    const first = await trainer.evalLoss(batch);
    for (let i = 0; i < 40; i++) await trainer.step(batch, 1e-2);
    const last = await trainer.evalLoss(batch);
    expect(last, `loss ${first} → ${last}`).toBeLessThan(first / 2);
    const after = await Promise.all(base.map(([, v]) => v.data()));
    after.forEach((d, i) => expect(Array.from(d), base[i][0]).toEqual(Array.from(before[i])));
    trainer.dispose();
    tf.dispose(Object.values(params));
  });
});
