// A file's download progress: bytes so far, the rate over the last few seconds and the time left at that
// rate, plus how people read them ("12.3 MB of 270 MB · 4.1 MB/s · 1 min 2 s left"). The clock is passed in,
// so the numbers are checked without waiting.

export type FileState = 'waiting' | 'downloading' | 'retrying' | 'done' | 'cached';

export interface FileProgress {
  path: string;
  state: FileState;
  received: number; // bytes held, from earlier tries included
  total: number;
  rate: number; // bytes per second over the last few seconds; 0 before there are two readings
  eta: number | null; // seconds left at that rate; null while the rate is unknown
  resumedFrom?: number; // the byte this try started at, when it resumed an earlier one
}

/** Bytes per second over a sliding window of readings (cumulative byte counts at times in ms). */
export function rateMeter(windowMs = 5000) {
  const readings: { t: number; bytes: number }[] = [];
  return {
    add(t: number, bytes: number): void {
      readings.push({ t, bytes });
      // keep one reading at or before the window's start, so the rate spans the whole window
      while (readings.length > 2 && readings[1].t <= t - windowMs) readings.shift();
    },
    rate(): number {
      if (readings.length < 2) return 0;
      const a = readings[0];
      const b = readings[readings.length - 1];
      return b.t > a.t ? ((b.bytes - a.bytes) * 1000) / (b.t - a.t) : 0;
    },
    /** Forget the readings (a new try starts: the pause before it is not part of the rate). */
    reset(): void {
      readings.length = 0;
    },
  };
}

export const etaSeconds = (remaining: number, rate: number): number | null =>
  rate > 0 ? Math.max(0, remaining / rate) : null;

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units, as download tools and the Hub's file list show sizes. */
export function formatBytes(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${UNITS[u]}`;
}

export const formatRate = (bytesPerSecond: number) => `${formatBytes(Math.round(bytesPerSecond))}/s`;

export function formatEta(seconds: number | null): string {
  if (seconds === null) return '–';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** One line for a file: "model.safetensors 12.3 MB of 270 MB · 4.1 MB/s · 1 min 2 s left". */
export function progressLine(p: FileProgress): string {
  const size =
    p.state === 'done' || p.state === 'cached'
      ? formatBytes(p.total)
      : `${formatBytes(p.received)} of ${formatBytes(p.total)}`;
  if (p.state === 'cached') return `${p.path} ${size} · in the cache`;
  if (p.state === 'done') return `${p.path} ${size} · done`;
  if (p.state === 'waiting') return `${p.path} ${formatBytes(p.total)} · waiting`;
  const resumed = p.resumedFrom ? ` · resumed at ${formatBytes(p.resumedFrom)}` : '';
  const retry = p.state === 'retrying' ? ' · connection lost, trying again' : '';
  return `${p.path} ${size} · ${formatRate(p.rate)} · ${formatEta(p.eta)} left${resumed}${retry}`;
}
