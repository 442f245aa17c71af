// A PEFT adapter's two files (adapter_config.json, adapter_model.safetensors) from a Hub repository, by its
// resolve route (`/{repo}/resolve/{rev}/{path}`, as the model downloads use): an adapter is megabytes, so it
// is read whole, without the model cache. And the check of an adapter's base_model_name_or_path against the
// model it is put on: a different name is a warning naming both (the shapes decide whether it can load).
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS } from './peft';
import { httpError, networkError } from './fetch_errors';
import { type HubRef, hubRefLabel } from './model_ref';

export const ADAPTER_FILES = [ADAPTER_CONFIG, ADAPTER_WEIGHTS] as const;

/** The adapter files of Hub repository `ref`; errors name the repo, revision and file. */
export async function fetchHubAdapter(
  ref: HubRef,
  opts: { hubUrl: string; token?: string; fetch?: typeof fetch },
): Promise<Record<string, Uint8Array>> {
  const get = opts.fetch ?? fetch;
  const headers: Record<string, string> = opts.token ? { Authorization: `Bearer ${opts.token}` } : {};
  const files: Record<string, Uint8Array> = {};
  for (const name of ADAPTER_FILES) {
    const what = `${hubRefLabel(ref)}: ${name}`;
    const ctx = { what, tokenGiven: !!opts.token, tokenHelp: ` (a read token from ${opts.hubUrl}/settings/tokens)` };
    let res: Response;
    try {
      res = await get(`${opts.hubUrl}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${name}`, { headers });
    } catch (e) {
      throw networkError(what, e);
    }
    if (!res.ok) throw httpError(res.status, ctx);
    files[name] = new Uint8Array(await res.arrayBuffer());
  }
  return files;
}

/** The last path segment of a model name, without a revision: "HuggingFaceTB/SmolLM2-135M@main" → "SmolLM2-135M". */
const leaf = (name: string) =>
  name
    .replace(/[@].*$/, '')
    .replace(/[\\/]+$/, '')
    .split(/[\\/]/)
    .pop()!
    .toLowerCase();

/**
 * A warning when the adapter names a different base than the model it is put on (null when they agree or the
 * adapter names none). Names agree when equal or when their last segments are: PEFT writes whatever the base
 * was loaded by, a Hub id or a folder path.
 */
export function baseMismatch(adapterBase: string, model: string): string | null {
  if (!adapterBase.trim() || leaf(adapterBase) === leaf(model)) return null;
  return (
    `the adapter was trained on "${adapterBase}" (its base_model_name_or_path), not on "${model}": ` +
    'its shapes fit, but it may not do what it did there'
  );
}
