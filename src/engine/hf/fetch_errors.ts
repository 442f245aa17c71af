// What went wrong fetching a model, said so that a person knows what to do: a missing repo, revision or file
// is named; a 401 asks for an access token, a 403 says the token lacks access (a gated model); a server
// error or a dropped network says it was tried again and failed. Messages name the repo, revision and file,
// never a token.

export type FetchProblem =
  | 'not-found'
  | 'needs-token'
  | 'refused'
  | 'server' // 5xx, 429: tried again and failed
  | 'http' // any other refusal
  | 'network'
  | 'changed'
  | 'cancelled';

export class ModelFetchError extends Error {
  constructor(
    message: string,
    readonly problem: FetchProblem,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ModelFetchError';
  }
}

/** Problems where an earlier copy in the cache is still the best answer (the network or the server is down). */
export const isUnreachable = (e: unknown) =>
  e instanceof ModelFetchError && (e.problem === 'network' || e.problem === 'server');

/** Statuses worth another try after a pause. */
export const retryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

export interface ErrorContext {
  what: string; // e.g. "HuggingFaceTB/SmolLM2-135M-Instruct@main: config.json"
  tokenGiven: boolean;
  /** Where a token comes from (the Hub's settings page); empty for a plain URL. */
  tokenHelp: string;
}

/** The error for a response that failed with `status`; `detail` is the server's own words when it gave any
 * (the Hub's `{"error": ...}`). */
export function httpError(status: number, ctx: ErrorContext, detail?: string): ModelFetchError {
  const said = detail ? ` (${detail})` : '';
  const { what, tokenGiven, tokenHelp } = ctx;
  if (status === 404) return new ModelFetchError(`${what}: not found, HTTP 404${said}`, 'not-found', 404);
  if (status === 401) {
    // the Hub also answers 401 for a repository that does not exist, to anyone without a token
    const missing = /not found/i.test(detail ?? '') ? ' Check the name; if it is right, ' : ' ';
    const ask = tokenGiven
      ? 'the access token was not accepted: check it'
      : `this model needs an access token (it is gated or private): enter one${tokenHelp}`;
    return new ModelFetchError(`${what}: HTTP 401${said}.${missing}${ask}.`, 'needs-token', 401);
  }
  if (status === 403)
    return new ModelFetchError(
      `${what}: HTTP 403, access refused${said}. A gated model needs access requested on its page, ` +
        `with the account the token belongs to${tokenGiven ? '' : `; then enter a token${tokenHelp}`}.`,
      'refused',
      403,
    );
  const problem = retryableStatus(status) ? 'server' : 'http';
  return new ModelFetchError(`${what}: the server answered HTTP ${status}${said}`, problem, status);
}

export const networkError = (what: string, e: unknown) =>
  new ModelFetchError(
    `${what}: could not reach the server (${(e as Error)?.message ?? e}); check the address and the network`,
    'network',
  );

export const cancelled = () => new ModelFetchError('cancelled', 'cancelled');

/** The Hub's error text from a JSON body `{"error": ...}`, or the start of a plain text body. */
export async function serverDetail(res: Response): Promise<string | undefined> {
  try {
    const text = (await res.text()).trim();
    if (!text) return undefined;
    try {
      const json = JSON.parse(text) as { error?: unknown; message?: unknown };
      const msg = json.error ?? json.message;
      if (typeof msg === 'string') return msg;
    } catch {
      // not JSON: the text itself
    }
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return undefined;
  }
}
