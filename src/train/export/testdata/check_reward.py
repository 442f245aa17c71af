"""Scores judgements with an exported reward.py through both of its entry points and prints a JSON report.

usage: python3 check_reward.py DIR    (DIR holds reward.py and cases.jsonl rows {text, stopped, winner})

TRL: make_trl_reward(tokenizer) with TRL's arguments (conversational completions, completion_ids, winner).
verl: RubricLabRewardLoopManager over a stand-in for the part of verl's reward-loop NaiveRewardManager
(verl @ b178a3c, verl/experimental/reward_loop/reward_manager/naive.py) that reward.py relies on: its
constructor's arguments, decoding the valid response ids without special tokens, calling compute_score.
Standard library only.
"""
import json
import os
import sys

NAIVE = '''
class NaiveRewardManager:
    def __init__(self, config, tokenizer, compute_score=None, reward_router_address=None, reward_model_tokenizer=None):
        self.config = config
        self.tokenizer = tokenizer
        self.compute_score = compute_score

    def run_single(self, response_ids, attention_mask, ground_truth):
        valid_response_length = sum(attention_mask)
        valid_response_ids = response_ids[:valid_response_length]
        response_str = self.tokenizer.decode(valid_response_ids, skip_special_tokens=True)
        return self.compute_score(
            data_source="rubric-lab", solution_str=response_str, ground_truth=ground_truth, extra_info={}
        )
'''

PAD, EOS, OTHER = 0, 2, 7  # OTHER: an ordinary token with no text


def stand_in_verl(root):
    pkg = os.path.join(root, "verl", "experimental", "reward_loop", "reward_manager")
    os.makedirs(pkg, exist_ok=True)
    for d in ("verl", "verl/experimental", "verl/experimental/reward_loop", pkg):
        open(os.path.join(root, d, "__init__.py"), "w").close()
    with open(os.path.join(pkg, "naive.py"), "w") as f:
        f.write(NAIVE)


class Tokenizer:
    """Token 1000 + i decodes to case i's text; PAD and EOS are special."""

    eos_token_id = EOS
    pad_token_id = PAD

    def __init__(self, texts):
        self.texts = texts

    def decode(self, ids, skip_special_tokens=False):
        special = {PAD: "<pad>", EOS: "<eos>"}
        out = []
        for i in ids:
            if i in special:
                out.append("" if skip_special_tokens else special[i])
            else:
                out.append("" if i == OTHER else self.texts[i - 1000])
        return "".join(out)


def main(folder):
    stand_in_verl(os.path.join(folder, "stand-in"))
    sys.path.insert(0, os.path.join(folder, "stand-in"))
    sys.path.insert(0, folder)
    import reward

    with open(os.path.join(folder, "cases.jsonl")) as f:
        cases = [json.loads(line) for line in f]
    texts = [c["text"] for c in cases]
    tok = Tokenizer(texts)
    ends = [[EOS] if c["stopped"] else [OTHER] for c in cases]

    trl = reward.make_trl_reward(tok)(
        completions=[[{"role": "assistant", "content": t}] for t in texts],
        completion_ids=[[1000 + i] + end for i, end in enumerate(ends)],
        winner=[c["winner"] for c in cases],
        trainer_state=None,
    )
    manager = reward.RubricLabRewardLoopManager({}, tok, reward.compute_score, None, None)
    verl = [
        manager.run_single([1000 + i] + end + [PAD, PAD], [1, 1, 0, 0], c["winner"])
        for i, (c, end) in enumerate(zip(cases, ends))
    ]

    def refuses(fn):
        try:
            fn()
        except ValueError:
            return True
        return False

    print(
        json.dumps(
            {
                "trl": trl,
                "verl": verl,
                "refuses_unmarked": refuses(lambda: reward.compute_score("x", texts[0], "model_a")),
                "refuses_tie": refuses(lambda: reward.score("", True, "tie")),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
