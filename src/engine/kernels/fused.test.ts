// The switch: off by default, and wired into the model. A nano model's SFT loss and parameter gradients
// (both fused kernels inside: five RMSNorms and the target log-probs) agree with the switch on and off:
// exactly on CPU, where the switch must change nothing; within 1e-4 on WebGPU, where the programs run.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../config';
import { initParams, maskedNll, tokenLogProbsAndEntropy } from '../model';
import { testBackends, useBackend } from '../test_backends';
import { checkTensor } from './check_tensor';
import { fusedKernelsOn, useFusedKernels } from './fused';

const cfg = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
const backends = await testBackends();

it('the switch is off by default', () => {
  expect(fusedKernelsOn()).toBe(false);
});

describe.each(backends)('fused kernels in the model on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  afterEach(() => useFusedKernels(false));
  const tol = backend === 'webgpu' ? 1e-4 : 0;

  it(`loss, gradients and entropy with the switch on = off (max error ≤ ${tol})`, async () => {
    const params = initParams({ ...cfg, initializer_range: 0.3 }, 3);
    const ids = tf.tensor2d([[1, 5, 9, 4, 7, 3], [1, 8, 8, 2, 6, 11]], undefined, 'int32');
    const targets = tf.tensor2d([[5, 9, 4, 7, 3, 12], [8, 8, 2, 6, 11, 13]], undefined, 'int32');
    const mask = tf.tensor2d([[0, 1, 1, 1, 1, 1], [1, 1, 1, 0, 1, 1]]);
    const run = (on: boolean) => {
      useFusedKernels(on);
      const { value, grads } = tf.variableGrads(() => maskedNll(params, cfg, ids, targets, mask));
      const { logps, entropy } = tokenLogProbsAndEntropy(params, cfg, ids, targets, { temperature: 0.7, entropy: true });
      return { value, grads, logps, entropy: entropy! };
    };
    const off = run(false), on = run(true);
    expect(await checkTensor(on.value, off.value, `${backend} loss`)).toBeLessThanOrEqual(tol);
    expect(await checkTensor(on.logps, off.logps, `${backend} logps (with entropy)`)).toBeLessThanOrEqual(tol);
    expect(await checkTensor(on.entropy, off.entropy, `${backend} entropy`)).toBeLessThanOrEqual(tol);
    for (const [name, v] of Object.entries(params)) {
      expect(await checkTensor(on.grads[v.name], off.grads[v.name], `${backend} d ${name}`)).toBeLessThanOrEqual(tol);
    }
    tf.dispose([ids, targets, mask, ...Object.values(params), ...[on, off].flatMap((r) => [r.value, r.logps, r.entropy, ...Object.values(r.grads)])]);
  });
});
