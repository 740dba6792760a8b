"""Mistakes in 03_custom_dataset: RNG, vocabulary, labels, items, indexing, inputs."""

from __future__ import annotations

from autograder.catalogue import Mistake, Replace, fails

A = "03_custom_dataset"

DRAWS = """        self.x = torch.randn(num_samples, 1, generator=g, dtype=torch.float32)
        noise = torch.randn(num_samples, 1, generator=g, dtype=torch.float32)
"""
VOCAB_LOOP = """            for tokens in tokenized:
                for token in tokens:
                    vocab.setdefault(token, len(vocab))
"""
REG_RANGE = """        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} is out of range for {len(self)} samples")
        return self.x[i], self.y[i]
"""

MISTAKES = [
    Mistake(
        name="noise_drawn_before_x", assignment=A,
        edits=(Replace(DRAWS, "".join(reversed(DRAWS.splitlines(keepends=True)))),),
        fails=fails(A, "regression_values"),
        feedback="draw x first and noise second",
        forbidden_hints=("global random state",)),
    Mistake(
        name="global_seed", assignment=A,
        edits=(Replace("        g = torch.Generator().manual_seed(seed)\n",
                       "        torch.manual_seed(seed)\n        g = None\n"),),
        fails=fails(A, "regression_private_generator"),
        feedback="global random state",
        forbidden_hints=("draw x first",)),
    Mistake(
        name="index_wraps_around", assignment=A,
        edits=(Replace(REG_RANGE, "        i = i % len(self)\n"
                                  "        return self.x[i], self.y[i]\n"),),
        fails=fails(A, "regression_indexing"),
        feedback="should raise IndexError",
        forbidden_hints=("negative indices count from the end",)),
    Mistake(
        name="vocab_sorted", assignment=A,
        edits=(Replace(VOCAB_LOOP,
                       "            for token in sorted({t for ts in tokenized for t in ts}):\n"
                       "                vocab[token] = len(vocab)\n"),),
        # Items are graded against the submission's own vocab, so only the vocab fails.
        fails=fails(A, "text_vocab"),
        feedback="order in which tokens first appear",
        forbidden_hints=("capitals", "lowercase the text")),
    Mistake(
        name="vocab_not_lowercased", assignment=A,
        edits=(Replace("tokenized = [text.lower().split() for text in texts]",
                       "tokenized = [text.split() for text in texts]"),),
        fails=fails(A, "text_vocab", "text_given_vocab"),
        feedback="capitals",
        forbidden_hints=("do not sort the tokens",)),
    Mistake(
        name="unknown_token_is_pad", assignment=A,
        edits=(Replace("vocab.get(token, 1)", "vocab.get(token, 0)"),),
        fails=fails(A, "text_given_vocab"),
        feedback="become 1 (<unk>)",
        forbidden_hints=("not lowercased",)),
    Mistake(
        name="label_not_0_dim", assignment=A,
        edits=(Replace("torch.tensor(self._label_ids[i], dtype=torch.long)",
                       "torch.tensor([self._label_ids[i]], dtype=torch.long)"),),
        fails=fails(A, "text_items"),
        feedback="0-dim tensor",
        forbidden_hints=("index in the classes",)),
    Mistake(
        name="labels_sorted_in_place", assignment=A,
        edits=(Replace("self.classes = sorted(set(labels))",
                       "labels.sort()\n        self.classes = sorted(set(labels))"),),
        fails=fails(A, "text_inputs_unchanged", "text_classes", "text_items"),
        feedback="labels.sort()",
        forbidden_hints=("map labels through",
                         "nor its order of appearance",
                         "use torch.tensor(label_id, dtype=torch.long)")),
    # Storing the labels as one stacked tensor works for any non-empty list of texts.
    Mistake(
        name="labels_stacked_in_init", assignment=A,
        edits=(Replace("        self._label_ids = [class_to_id[label] for label in labels]\n",
                       "        self._label_ids = torch.stack([torch.tensor(class_to_id[label])"
                       " for label in labels])\n"),),
        fails=fails(A, "text_indexing"),
        feedback="should build an empty dataset, but it raised RuntimeError"),
]
