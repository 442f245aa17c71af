// How the tests' stand-in Hub (test_hub_server.ts) sends a file's bytes, as the Hub and its CDN do: ETag,
// Accept-Ranges, Range → 206 with Content-Range, 416 past the end; and the switches that make a line bad on
// purpose: fail the next requests with a status, drop the connection mid-file once, or hold it mid-file until
// released. Also the CORS headers every answer carries (a page on another port reads them). Node only.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': [
    'ETag, Content-Range, Content-Length, Accept-Ranges',
    'X-Repo-Commit, X-Linked-Size, X-Linked-ETag, X-Error-Code, Link',
  ].join(', '),
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { ...CORS, 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** What the switches hold, keyed by a file's path in its repo; and the body bytes sent. */
export interface Switches {
  drops: Map<string, number>;
  holds: Map<string, { after: number; released: Promise<void> }>;
  failures: Map<string, { status: number; times: number }>;
  sent: number;
}

export const noSwitches = (): Switches => ({ drops: new Map(), holds: new Map(), failures: new Map(), sent: 0 });

/** The [start, end] a Range header asks for, null for the whole file, 'unsatisfiable' past the end. */
function askedRange(header: string | undefined, total: number): [number, number] | null | 'unsatisfiable' {
  const m = /^bytes=(\d+)-(\d*)$/.exec(header ?? '');
  if (!m) return null;
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), total - 1) : total - 1;
  return start >= total || end < start ? 'unsatisfiable' : [start, end];
}

/** Sends the part of `body` the switches allow: all of it, or up to a hold or a drop. */
function writeBody(sw: Switches, res: ServerResponse, key: string, body: Uint8Array): void {
  const hold = sw.holds.get(key);
  if (hold !== undefined && hold.after < body.length) {
    sw.holds.delete(key);
    sw.sent += hold.after;
    res.write(body.subarray(0, hold.after));
    void hold.released.then(() => {
      if (res.destroyed) return; // the client went away (a cancel)
      sw.sent += body.length - hold.after;
      res.end(body.subarray(hold.after));
    });
    return;
  }
  const drop = sw.drops.get(key);
  if (drop !== undefined && drop < body.length) {
    sw.drops.delete(key);
    sw.sent += drop;
    // A pause before the FIN: a fetch body stream that errors drops the chunks still queued in it, so the
    // client reads what was sent first, then sees the connection close mid-file.
    res.write(body.subarray(0, drop), () => setTimeout(() => res.socket?.end(), 250));
    return;
  }
  sw.sent += body.length;
  res.end(body);
}

/** A file's bytes with its ETag, honouring Range, unless a switch says otherwise. */
export function sendBytes(
  sw: Switches,
  req: IncomingMessage,
  res: ServerResponse,
  file: { key: string; bytes: Uint8Array; etag: string },
  extra: Record<string, string> = {},
): void {
  const fail = sw.failures.get(file.key);
  if (fail && fail.times > 0) {
    fail.times--;
    sendJson(res, fail.status, { error: `test failure ${fail.status}` });
    return;
  }
  const total = file.bytes.length;
  const range = askedRange(req.headers.range, total);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...CORS, 'Content-Range': `bytes */${total}` });
    return void res.end();
  }
  const [start, end] = range ?? [0, total - 1];
  const body = file.bytes.subarray(start, end + 1);
  const headers: Record<string, string> = {
    ...CORS,
    ...extra,
    ETag: file.etag,
    'Accept-Ranges': 'bytes',
    'Content-Length': String(body.length),
    'Content-Type': 'application/octet-stream',
  };
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${total}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD') return void res.end();
  writeBody(sw, res, file.key, body);
}
