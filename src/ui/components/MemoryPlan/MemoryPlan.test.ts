// The memory plan, rendered to static markup. Must hold: the plan's figures for Qwen2.5-0.5B's shape show
// in binary units (weights as stored and as float32, the KV cache with its context), the adapter's limits
// and the vocabulary split are said, what does not fit is listed as an alert, and without an adapter the
// limits are said to be unchecked.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../engine/config';
import { QWEN25_05B_INSTRUCT } from '../../../engine/hf/known_configs';
import { planMemory } from '../../../engine/memory';
import { MemoryPlan } from './MemoryPlan';

const MiB = 2 ** 20;
const qwen = validateConfig(QWEN25_05B_INSTRUCT);
const context = { promptTokens: 768, maxNewTokens: 256, batch: 1 };
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('MemoryPlan', () => {
  it('shows the figures against the limits, the split, and no alert when it fits', () => {
    const limits = { maxBufferSize: 256 * MiB, maxStorageBufferBindingSize: 128 * MiB };
    const html = renderToStaticMarkup(createElement(MemoryPlan, { plan: planMemory(qwen, context, limits), limits }));
    const t = text(html);
    expect(t).toContain('parameters 494,032,768');
    expect(t).toContain('weights 942.3 MiB as stored (bfloat16), 1.84 GiB as float32');
    expect(t).toContain('KV cache (1,024 tokens) 24.0 MiB');
    expect(t).toContain('largest tensor model.embed_tokens.weight (1 of 5 parts): 128.0 MiB');
    expect(t).toContain('adapter limits buffer 256.0 MiB, binding 128.0 MiB');
    expect(t).toContain('vocabulary split into 5 row parts');
    expect(html).not.toContain('role="alert"');
  });

  it('lists what does not fit as an alert, and says when no adapter was there to check', () => {
    const limits = { maxBufferSize: 256 * MiB, maxStorageBufferBindingSize: 128 * MiB, deviceBytes: 1024 * MiB };
    const html = renderToStaticMarkup(createElement(MemoryPlan, { plan: planMemory(qwen, context, limits), limits }));
    expect(html).toMatch(/role="alert"><li>weights 1.84 GiB \+ KV cache 24.0 MiB .*past the device memory of 1.00 GiB/);
    const none = { maxBufferSize: Infinity, maxStorageBufferBindingSize: Infinity };
    const bare = renderToStaticMarkup(
      createElement(MemoryPlan, { plan: planMemory(qwen, context, none), limits: null }),
    );
    expect(text(bare)).toContain('adapter limits no WebGPU adapter here: not checked');
    expect(text(bare)).not.toContain('row parts');
  });
});
