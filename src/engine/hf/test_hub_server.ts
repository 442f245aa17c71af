// A stand-in for the Hugging Face Hub on 127.0.0.1, for tests (unit and e2e): the routes the real one
// serves, shaped as it shapes them — `/api/models/{repo}/revision/{rev}` (the commit a branch is at),
// `/api/models/{repo}/tree/{rev}` (the file list, paged with a Link header), `/{repo}/resolve/{rev}/{path}`
// (small files directly; LFS files as a 302 to a CDN-like `/cdn/{sha256}` path), the Hub's error bodies and
// X-Error-Code, a gated repo that answers 401 without a token and 403 with a wrong one, and CORS. The bytes
// and the switches that drop, hold or fail a file are in test_hub_bytes.ts. Every request is logged
// (method, path, Range, Authorization) in arrival order. Node only.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CORS, noSwitches, sendBytes, sendJson, type Switches } from './test_hub_bytes';

type Files = Map<string, Uint8Array>;
interface Repo {
  commits: Map<string, Files>;
  branches: Map<string, string>;
  tokens: string[] | null; // gated: the tokens let in; null = public
}
export interface LoggedRequest {
  method: string;
  path: string;
  range: string | null;
  authorization: string | null;
  status: number; // 0 until the answer is out
}

export interface TestHub {
  url: string;
  /** Creates the repo or commits `files` as its new content on `branch`; returns the commit sha. */
  commit(repo: string, files: Record<string, Uint8Array>, opts?: { branch?: string; gatedTokens?: string[] }): string;
  /** The next GET of `path`'s bytes (any repo) sends the headers and `afterBytes` bytes, then drops. */
  dropOnce(path: string, afterBytes: number): void;
  /** The next GET of `path`'s bytes sends `afterBytes` bytes and waits for the returned release (a slow line,
   * so a page shows its progress mid-file). */
  holdOnce(path: string, afterBytes: number): () => void;
  /** The next `times` GETs of `path`'s bytes answer `status`. */
  failNext(path: string, status: number, times?: number): void;
  requests: LoggedRequest[];
  /** Bytes of file bodies sent (a dropped one counts what went out). */
  bytesSent: () => number;
  stop(): Promise<void>;
}

interface Hub {
  base: string;
  repos: Map<string, Repo>;
  blobs: Map<string, { bytes: Uint8Array; path: string }>; // the CDN: sha256 → bytes
  switches: Switches;
  pageSize?: number;
}

const sha1 = (b: Uint8Array | string) => createHash('sha1').update(b).digest('hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** git's blob id, as the Hub's tree lists it for files kept in git. */
const gitOid = (b: Uint8Array) => sha1(Buffer.concat([Buffer.from(`blob ${b.length}\0`), b]));
/** The Hub keeps these in LFS (and redirects their downloads to a CDN). */
const isLfs = (path: string, bytes: Uint8Array) => path.endsWith('.safetensors') || bytes.length > 10_000_000;

const hubError = (res: ServerResponse, status: number, code: string, error: string) =>
  sendJson(res, status, { error }, { 'X-Error-Code': code });

function refuseGated(hub: Hub, req: IncomingMessage, res: ServerResponse, name: string, tokens: string[]): boolean {
  const auth = req.headers.authorization ?? '';
  const restricted = `Access to model ${name} is restricted`;
  if (!auth) {
    const login = 'You must have access to it and be authenticated to access it. Please log in.';
    hubError(res, 401, 'GatedRepo', `${restricted}. ${login}`);
    return true;
  }
  if (tokens.some((t) => auth === `Bearer ${t}`)) return false;
  const ask = `Visit ${hub.base}/${name} to ask for access.`;
  hubError(res, 403, 'GatedRepo', `${restricted} and you are not in the authorized list. ${ask}`);
  return true;
}

/** The repo's commit and files for a request, or undefined with the Hub's error already sent. */
function locate(hub: Hub, req: IncomingMessage, res: ServerResponse, name: string, rev: string) {
  const repo = hub.repos.get(name);
  if (!repo) return void hubError(res, 404, 'RepoNotFound', 'Repository not found');
  if (repo.tokens && refuseGated(hub, req, res, name, repo.tokens)) return;
  const sha = repo.branches.get(rev) ?? (repo.commits.has(rev) ? rev : null);
  if (!sha) return void hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
  return { sha, files: repo.commits.get(sha)! };
}

function tree(hub: Hub, res: ServerResponse, url: URL, files: Files) {
  const list = [...files].map(([path, bytes]) => ({
    type: 'file',
    oid: gitOid(bytes),
    size: bytes.length,
    path,
    ...(isLfs(path, bytes) ? { lfs: { oid: sha256(bytes), size: bytes.length, pointerSize: 134 } } : {}),
  }));
  const dirs = [...new Set([...files.keys()].filter((p) => p.includes('/')).map((p) => p.split('/')[0]))];
  const all = [...dirs.map((d) => ({ type: 'directory', oid: sha1(d), size: 0, path: d })), ...list];
  const size = hub.pageSize ?? all.length;
  const cursor = Number(url.searchParams.get('cursor') ?? 0);
  const link = `<${hub.base}${url.pathname}?recursive=true&cursor=${cursor + size}>; rel="next"`;
  sendJson(res, 200, all.slice(cursor, cursor + size), cursor + size < all.length ? { Link: link } : {});
}

function api(hub: Hub, req: IncomingMessage, res: ServerResponse, url: URL, p: string[]) {
  const name = `${p[3]}/${p[4]}`;
  const found = locate(hub, req, res, name, p[6] ?? 'main');
  if (!found) return;
  if (p[5] === 'tree') return tree(hub, res, url, found.files);
  const gated = hub.repos.get(name)!.tokens ? 'manual' : false;
  if (p[5] !== 'revision') return sendJson(res, 404, { error: 'Not found' });
  const lastModified = new Date(0).toISOString();
  sendJson(res, 200, {
    _id: sha1(name),
    id: name,
    sha: found.sha,
    private: false,
    gated,
    downloads: 0,
    likes: 0,
    lastModified,
    pipeline_tag: 'text-generation',
  });
}

function resolve(hub: Hub, req: IncomingMessage, res: ServerResponse, p: string[]) {
  const found = locate(hub, req, res, `${p[1]}/${p[2]}`, p[4]);
  if (!found) return;
  const path = p.slice(5).join('/');
  const bytes = found.files.get(path);
  if (!bytes) return hubError(res, 404, 'EntryNotFound', `${path} does not exist on "${p[4]}"`);
  const commit = { 'X-Repo-Commit': found.sha };
  if (!isLfs(path, bytes))
    return sendBytes(hub.switches, req, res, { key: path, bytes, etag: `"${gitOid(bytes)}"` }, commit);
  const oid = sha256(bytes);
  res.writeHead(302, {
    ...CORS,
    ...commit,
    Location: `${hub.base}/cdn/${oid}?expires=9999999999&signature=test`,
    'X-Linked-Size': String(bytes.length),
    'X-Linked-ETag': `"${oid}"`,
    ETag: `"${oid}"`,
  });
  res.end();
}

function route(hub: Hub, req: IncomingMessage, res: ServerResponse, url: URL) {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      ...CORS,
      'Access-Control-Allow-Headers': 'Authorization, Range, Accept, Content-Type',
      'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
      'Access-Control-Max-Age': '600',
    });
    return res.end();
  }
  const p = url.pathname.split('/').map(decodeURIComponent);
  if (p[1] === 'cdn') {
    const blob = hub.blobs.get(p[2]);
    if (!blob) return sendJson(res, 404, { error: 'NoSuchKey' });
    return sendBytes(hub.switches, req, res, { key: blob.path, bytes: blob.bytes, etag: `"${p[2]}"` });
  }
  if (p[1] === 'api' && p[2] === 'models') return api(hub, req, res, url, p);
  if (p[3] === 'resolve') return resolve(hub, req, res, p);
  sendJson(res, 404, { error: 'Not found' });
}

function commit(
  hub: Hub,
  name: string,
  files: Record<string, Uint8Array>,
  opts: Parameters<TestHub['commit']>[2] = {},
) {
  const repo = hub.repos.get(name) ?? { commits: new Map(), branches: new Map(), tokens: null };
  hub.repos.set(name, repo);
  if (opts.gatedTokens) repo.tokens = opts.gatedTokens;
  const content: Files = new Map(Object.entries(files));
  for (const [path, bytes] of content) if (isLfs(path, bytes)) hub.blobs.set(sha256(bytes), { bytes, path });
  const listing = [...content].map(([p, b]) => `${p}:${gitOid(b)}`).join('\n');
  const sha = sha1(`${name}\n${repo.commits.size}\n${listing}`);
  repo.commits.set(sha, content);
  repo.branches.set(opts.branch ?? 'main', sha);
  return sha;
}

export async function startTestHub(opts: { pageSize?: number } = {}): Promise<TestHub> {
  const hub: Hub = { base: '', repos: new Map(), blobs: new Map(), switches: noSwitches(), pageSize: opts.pageSize };
  const requests: LoggedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', hub.base);
    const { range = null, authorization = null } = req.headers;
    const logged: LoggedRequest = { method: req.method ?? '', path: url.pathname, range, authorization, status: 0 };
    requests.push(logged);
    res.on('close', () => {
      logged.status = res.statusCode;
    });
    route(hub, req, res, url);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  hub.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { drops, holds, failures } = hub.switches;
  return {
    url: hub.base,
    commit: (name, files, o) => commit(hub, name, files, o),
    dropOnce: (path, afterBytes) => void drops.set(path, afterBytes),
    holdOnce(path, afterBytes) {
      let release = () => {};
      holds.set(path, { after: afterBytes, released: new Promise<void>((r) => (release = r)) });
      return () => release();
    },
    failNext: (path, status, times = 1) => void failures.set(path, { status, times }),
    requests,
    bytesSent: () => hub.switches.sent,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
