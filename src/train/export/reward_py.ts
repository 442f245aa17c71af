// The exported reward function: one Python file (standard library only) with our reward's exact semantics
// and the two trainers' entry points. reward_py.test.ts runs it with python3 on generated judgements against
// our own scoring (train/grpo_step.ts scoreStage). The constants come from our code, so they cannot drift.
import { REWARD_TAIL_CHARS } from '../../rm/cor_parser';

/** Appended by the verl manager's tokenizer to the decoded response: how the judgement ended. */
export const STOP_MARKS = { stopped: '<|rubric-lab:stopped|>', cut: '<|rubric-lab:cut|>' } as const;

const tag = (v: 'A' | 'B') => `<answer>[[${v}]]</answer>`;

/** reward.py's source. */
export function rewardPy(): string {
  return `"""Rubric Lab's GRPO reward (RM-R1's verdict reward) with its exact semantics, for TRL and verl.

A judgement scores +1.0 iff it stopped on its end-of-sequence token and the last ${REWARD_TAIL_CHARS} characters
of its text hold exactly one of ${tag('A')} / ${tag('B')}, naming the labelled winner;
anything else scores -1.0: the other verdict, none, both, or a judgement cut off at the length limit (even
one whose verdict is already written). Characters are UTF-16 code units, as JavaScript counts them (an emoji
is two). The text is the decoded completion without special tokens. Labels are RM-R1's model_a / model_b;
any other label is refused, as RM-R1 refuses it. (Ours: src/rm/cor_parser.ts rewardVerdict, src/rm/grpo.ts
verdictReward, src/train/grpo_step.ts scoreStage.)

TRL (huggingface/trl @ f2cd577): GRPOTrainer(reward_funcs=[make_trl_reward(tokenizer)], ...). It reads
  completions, completion_ids and the dataset's winner column. A completion stopped on EOS when its last
  id is the tokenizer's eos or pad id: TRL's own test for truncation.
verl (volcengine/verl @ b178a3c): custom_reward_function.path=reward.py, custom_reward_function.name=
  compute_score, reward_model.reward_loop_source=importlib, reward_model.reward_loop_module_path=reward.py,
  reward_model.reward_loop_class_name=RubricLabRewardLoopManager. verl decodes a response without special
  tokens, which loses whether it stopped on EOS: the manager's tokenizer appends a mark saying which, and
  compute_score reads and removes it. A string without a mark is refused, so a run without the manager
  fails at its first reward instead of scoring everything -1.
"""

ANSWER = {"A": "${tag('A')}", "B": "${tag('B')}"}
TAIL_UTF16_UNITS = ${REWARD_TAIL_CHARS}
LABELS = {"model_a": "A", "model_b": "B"}
STOPPED = "${STOP_MARKS.stopped}"
CUT = "${STOP_MARKS.cut}"


def tail(text, units=TAIL_UTF16_UNITS):
    """The last units UTF-16 code units of text, as JavaScript's text.slice(-units)."""
    data = text.encode("utf-16-le", "surrogatepass")
    return data[-2 * units :].decode("utf-16-le", "surrogatepass")


def verdict(text):
    """A or B when exactly one tagged verdict is in the tail, else None."""
    end = tail(text)
    a, b = ANSWER["A"] in end, ANSWER["B"] in end
    return None if a == b else ("A" if a else "B")


def label(winner):
    """model_a / model_b -> A / B."""
    if winner not in LABELS:
        raise ValueError(f"winner must be 'model_a' or 'model_b', got {winner!r}")
    return LABELS[winner]


def score(text, stopped_on_eos, winner):
    """+1.0 iff the judgement stopped on EOS and its verdict is the labelled winner, else -1.0."""
    want = label(winner)
    return 1.0 if stopped_on_eos and verdict(text) == want else -1.0


def _stop_ids(tokenizer):
    return {i for i in (tokenizer.eos_token_id, tokenizer.pad_token_id) if i is not None}


def _text(completion):
    """TRL passes a string (standard format) or a list of messages ending with the assistant's."""
    return completion if isinstance(completion, str) else (completion[-1]["content"] or "")


def make_trl_reward(tokenizer):
    """TRL's reward function for this tokenizer: reward(completions, completion_ids, winner, **kwargs)."""

    def verdict_reward(completions, completion_ids, winner, **kwargs):
        stop_ids = _stop_ids(tokenizer)  # read each call: the trainer may set a missing pad token
        rows = zip(completions, completion_ids, winner, strict=True)
        return [score(_text(c), len(ids) > 0 and ids[-1] in stop_ids, w) for c, ids, w in rows]

    return verdict_reward


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    """verl's reward function; solution_str ends with the mark RubricLabRewardLoopManager's tokenizer adds."""
    for mark, stopped in ((STOPPED, True), (CUT, False)):
        if solution_str.endswith(mark):
            return score(solution_str[: -len(mark)], stopped, ground_truth)
    raise ValueError(
        "the response carries no stop mark: run verl with reward_model.reward_loop_class_name="
        "RubricLabRewardLoopManager from this reward.py (see README.md)"
    )


class StopMarkingTokenizer:
    """A tokenizer whose decode() appends STOPPED when the ids end on the eos or pad id, else CUT."""

    def __init__(self, tokenizer):
        self._tokenizer = tokenizer
        self._stops = _stop_ids(tokenizer)

    def decode(self, token_ids, *args, **kwargs):
        text = self._tokenizer.decode(token_ids, *args, **kwargs)
        stopped = len(token_ids) > 0 and int(token_ids[-1]) in self._stops
        return text + (STOPPED if stopped else CUT)

    def __getattr__(self, name):
        if name in ("_tokenizer", "_stops") or name.startswith("__"):
            raise AttributeError(name)  # not set yet (unpickling): never recurse
        return getattr(self._tokenizer, name)


try:
    from verl.experimental.reward_loop.reward_manager.naive import NaiveRewardManager as _VerlNaive
except ImportError:  # TRL, or no verl: the manager is not needed
    _VerlNaive = None

if _VerlNaive is not None:

    class RubricLabRewardLoopManager(_VerlNaive):
        """verl's naive reward-loop manager, decoding with a StopMarkingTokenizer."""

        def __init__(self, config, tokenizer, *args, **kwargs):
            super().__init__(config, StopMarkingTokenizer(tokenizer), *args, **kwargs)
`;
}
