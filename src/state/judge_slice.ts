// The Judge page's state: the pair being judged (typed, or picked from a stored dataset), the model (a
// checkpoint or a cached real model) and decoding chosen, what the model's vocabulary and context make of the
// pair, the traces streaming in with their rate, whether the last one was stopped, the last result, the
// user's saved labels, the shipped judges' card and example pairs, and a PEFT adapter put on a real model.
// Plain data; the actions are in judge_actions.ts. Leaves out the checkpoint files and the browsed dataset's
// pairs (kept by the actions).
import type { StateCreator } from 'zustand';
import type { Category, Pair, Winner } from '../rm/pair';
import { JUDGE_DEFAULTS, type InputCheck, type JudgeResult, type PairText } from '../train/judge';
import type { AdapterInfo, JudgeDecoding } from '../worker/judge_protocol';
import type { ShippedInfo } from './builtin_judges';
import { type SpeedMeter, startMeter } from './judge_speed';
import type { AppState } from './store';

/** The user's own verdict; 'both-bad' is stored as a tie with `meta.label = 'both-bad'`. */
export type UserLabel = 'A' | 'B' | 'tie' | 'both-bad';

/** The stored pair the draft was loaded from (cleared when the draft is edited). */
export interface PickedPair {
  datasetId: string;
  pairId: string;
  index: number;
  winner: Winner;
  category?: Category;
}

/** A PEFT adapter on a cached real model: what it is, where it came from, and a base-name warning. */
export interface JudgeAdapter {
  modelId: string; // the judge id of the model it is on
  name: string; // the folder's name or the Hub id it came from
  info: AdapterInfo;
  warning: string | null; // it names another base than this model
}

export interface JudgeSlice {
  judgeDraft: PairText;
  judgePicked: PickedPair | null;
  judgeCheckpointId: string | null; // the judge id chosen; null = the newest stored, else the shipped judge
  judgeLoading: string | null; // the checkpoint whose files are being read
  judgeDecoding: JudgeDecoding; // samples 1 = greedy
  judgeCheck: InputCheck | null; // the worker's check of the draft; null until it has read the tokenizer
  judgeChecking: boolean; // the draft changed since the check shown: a newer one is on its way
  judgeRequestId: string | null; // the judgement running now
  judgeStream: { shown: string[]; swapped: string[] }; // the trace so far per sample (final once done)
  judgeSpeed: SpeedMeter; // the tokens written by the judgement running (or last run) and when
  judgeStopped: boolean; // the last judgement was stopped: its traces so far are shown, no verdict
  judgeResult: (JudgeResult & { checkpointId: string; pair: PairText }) | null;
  judgeError: string | null;
  judgeBrowse: { datasetId: string | null; count: number; index: number };
  myLabels: Pair[]; // the 'my-labels' dataset, in the order saved
  labelMessage: string | null;
  shipped: ShippedInfo | null; // the shipped judges' card, run settings and example pairs, once read
  shippedError: string | null; // why they could not be read (the page works without them)
  judgeAdapters: JudgeAdapter[]; // at most one per model, as the worker keeps them
  adapterHubId: string; // the Hub id typed to fetch an adapter from
  adapterBusy: boolean;
  adapterError: string | null;
}

export const judgeInitial: JudgeSlice = {
  judgeDraft: { prompt: '', a: '', b: '' },
  judgePicked: null,
  judgeCheckpointId: null,
  judgeLoading: null,
  judgeDecoding: {
    samples: JUDGE_DEFAULTS.samples,
    temperature: JUDGE_DEFAULTS.temperature,
    topP: JUDGE_DEFAULTS.topP,
    seed: JUDGE_DEFAULTS.seed,
    maxNewTokens: JUDGE_DEFAULTS.maxNewTokens,
  },
  judgeCheck: null,
  judgeChecking: false,
  judgeRequestId: null,
  judgeStream: { shown: [], swapped: [] },
  judgeSpeed: startMeter(),
  judgeStopped: false,
  judgeResult: null,
  judgeError: null,
  judgeBrowse: { datasetId: null, count: 0, index: 0 },
  myLabels: [],
  labelMessage: null,
  shipped: null,
  shippedError: null,
  judgeAdapters: [],
  adapterHubId: '',
  adapterBusy: false,
  adapterError: null,
};

export const createJudgeSlice: StateCreator<AppState, [], [], JudgeSlice> = () => structuredClone(judgeInitial);
