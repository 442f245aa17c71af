// The address bar as state, TensorFlow Playground style: `#/<page>?<setting>=<value>&…` holds the page
// and every run setting that differs from the defaults (seed included), so a copied link reopens the
// same page with the same configuration. The run config's one field table parses and validates it.
import { applyOverrides, diffFromDefaults, parseRunSetting, RUN_DEFAULTS, type RunConfig } from '../train/run_config';

export const PAGES = ['train', 'groups', 'step', 'judge', 'data', 'runs'] as const;
export type Page = (typeof PAGES)[number];

export interface HashState {
  page: Page;
  config: RunConfig;
  error: string | null;
}

/** Parses a location hash; an unknown page falls back to Train, and a link with any unknown, mistyped or
 * out-of-range setting is not applied (half a link would be another run), naming every bad one. */
export function parseHash(hash: string): HashState {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const page = (PAGES as readonly string[]).includes(path) ? (path as Page) : 'train';
  const params = [...new URLSearchParams(query)];
  const errors = params.flatMap(([key, raw]) => {
    try {
      parseRunSetting(key, raw);
      return [];
    } catch (e) {
      return [(e as Error).message];
    }
  });
  if (errors.length)
    return {
      page,
      config: structuredClone(RUN_DEFAULTS),
      error: `The link's settings were not applied: ${errors.join('; ')}`,
    };
  return { page, config: applyOverrides(RUN_DEFAULTS, Object.fromEntries(params)), error: null };
}

/** The hash for a page and a config: only the settings that differ from the defaults. */
export function formatHash(page: Page, config: RunConfig): string {
  const q = new URLSearchParams(diffFromDefaults(config)).toString();
  return `#/${page}${q ? `?${q}` : ''}`;
}
