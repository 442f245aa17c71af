// Download progress: the rate over a sliding window of readings (a clock passed in), the time left, and how
// sizes, rates and times read.
import { describe, expect, it } from 'vitest';
import { etaSeconds, formatBytes, formatEta, formatRate, progressLine, rateMeter } from './progress';

describe('rateMeter', () => {
  it('measures bytes per second over the window, forgetting older readings', () => {
    const m = rateMeter(5000);
    expect(m.rate()).toBe(0);
    m.add(0, 0);
    m.add(1000, 1_000_000);
    expect(m.rate()).toBe(1_000_000);
    m.add(2000, 3_000_000);
    expect(m.rate()).toBe(1_500_000); // (3e6 - 0) / 2 s
    m.add(8000, 3_600_000); // the 0 and 1000 ms readings are now older than the window
    expect(m.rate()).toBe(100_000); // (3.6e6 - 3e6) / 6 s: from the last reading before the window
    m.reset();
    expect(m.rate()).toBe(0);
  });

  it('gives the time left at that rate, or null while unknown', () => {
    expect(etaSeconds(5_000_000, 1_000_000)).toBe(5);
    expect(etaSeconds(5, 0)).toBeNull();
  });
});

describe('formatting', () => {
  it('writes sizes in decimal units, rates per second and times in s / min / h', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1234)).toBe('1.23 kB');
    expect(formatBytes(269_060_000)).toBe('269 MB');
    expect(formatBytes(1.5e9)).toBe('1.50 GB');
    expect(formatRate(4_100_000)).toBe('4.10 MB/s');
    expect(formatEta(null)).toBe('–');
    expect(formatEta(4.2)).toBe('5 s');
    expect(formatEta(62)).toBe('1 min 2 s');
    expect(formatEta(3725)).toBe('1 h 2 min');
  });

  it('writes one line per file', () => {
    const base = { path: 'model.safetensors', received: 12_300_000, total: 270_000_000, rate: 4_100_000, eta: 62 };
    expect(progressLine({ ...base, state: 'downloading' })).toBe(
      'model.safetensors 12.3 MB of 270 MB · 4.10 MB/s · 1 min 2 s left',
    );
    expect(progressLine({ ...base, state: 'downloading', resumedFrom: 10_000_000 })).toMatch(/resumed at 10.0 MB$/);
    expect(progressLine({ ...base, state: 'retrying' })).toMatch(/connection lost, trying again$/);
    expect(progressLine({ ...base, state: 'cached' })).toBe('model.safetensors 270 MB · in the cache');
  });
});
