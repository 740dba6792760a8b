"""Checks for 03_custom_dataset (20 points): RegressionDataset and TextClassificationDataset."""

from __future__ import annotations

from typing import Any

import torch

from autograder.assignments.custom_dataset import scenarios
from autograder.judge import assert_close, check, expect, field

WORDS = ("amber", "birch", "cedar", "dune", "ember", "fjord", "grove", "heath", "inlet",
         "juniper", "knoll", "lagoon", "marsh", "nook", "oasis", "prairie")
CLASS_NAMES = ("arts", "health", "politics", "science", "sports", "travel")
RANGE_HINT = ("check the index yourself: if not -len(self) <= index < len(self), raise "
              "IndexError; then negative indices work like a list's.")


def _words(rng: torch.Generator, count: int) -> list[str]:
    return [WORDS[int(i)] for i in torch.randperm(len(WORDS), generator=rng)[:count]]


def _regression_args(rng: torch.Generator, seed: int) -> dict[str, Any]:
    """Non-default arguments, so that a formula or default mixed up shows."""
    u = torch.rand(3, generator=rng, dtype=torch.float64).tolist()
    return {"slope": round(-0.5 - 2.5 * u[0], 3), "intercept": round(4 * u[1] - 2, 3),
            "noise_std": round(0.3 + 0.5 * u[2], 3), "seed": 1 + seed % 10_000}


def _kind(value: Any) -> str:
    if type(value) is torch.Tensor:
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    if type(value) in (tuple, list):
        return f"a {type(value).__name__} of length {len(value)}"
    return "None" if value is None else f"a {type(value).__name__}"


def _check_indexing(got: dict[str, Any], size: int, kind: str) -> None:
    """Explains the outcome of scenarios._indexing for a dataset of ``size`` items."""
    expect(field(got, "length", what="len(dataset)") == size,
           f"len() of a {kind} with {size} items should be {size} but is {got['length']}.")
    for index, outcome in field(got, "negative", what="the negative indices").items():
        twin = int(index) + size
        expect(outcome == "same",
               f"dataset[{index}] should return the same item as dataset[{twin}] "
               f"(negative indices count from the end, as for a list), but it "
               + ("raised " + outcome if outcome != "different" else "returned another item")
               + ".", RANGE_HINT)
    for index, outcome in field(got, "out_of_range", what="the out-of-range indices").items():
        expect(outcome == "IndexError",
               f"dataset[{index}] on a {kind} of {size} items should raise IndexError, but it "
               + ("returned an item" if outcome == "returned" else f"raised {outcome}") + ".",
               RANGE_HINT + " IndexError is how `for item in dataset` knows where to stop.")


@check(points=2, part="RegressionDataset")
def test_regression_items(submission):
    """RegressionDataset: len() and items (x, y), each a float32 tensor of shape (1,)."""
    got = submission.run(scenarios.regression_items, num_samples=7, slope=None,
                         intercept=None, noise_std=None, seed=None)
    expect(field(got, "length", what="len(dataset)") == 7,
           f"len(RegressionDataset(7)) should be 7 but is {got['length']}.",
           "return num_samples from __len__.")
    for i, item in enumerate(field(got, "items", what="the items")):
        expect(type(item) is tuple and len(item) == 2,
               f"dataset[{i}] should be a tuple (x, y) but is {_kind(item)}.",
               "return self.x[index], self.y[index].")
        for name, value in zip(("x", "y"), item, strict=True):
            expect(type(value) is torch.Tensor and value.shape == (1,)
                   and value.dtype == torch.float32,
                   f"The {name} of dataset[{i}] should be a float32 tensor of shape (1,), "
                   f"but it is {_kind(value)}.",
                   "draw x with torch.randn(num_samples, 1, generator=g) and index one row: "
                   "x[i] has shape (1,).")


@check(points=3, part="RegressionDataset")
def test_regression_values(submission, reference, rng, seed):
    """RegressionDataset: x and y match the reference for default and other arguments."""
    cases = [({"slope": None, "intercept": None, "noise_std": None, "seed": None},
              "the default arguments"),
             (_regression_args(rng, seed), "slope={slope}, intercept={intercept}, "
                                           "noise_std={noise_std}, seed={seed}")]
    for args, label in cases:
        args = {"num_samples": 9, **args}
        got = submission.run(scenarios.regression_items, **args)
        want = reference.run(scenarios.regression_items, **args)
        items = field(got, "items", what="the items")
        expect(type(items) is list and len(items) == 9, "The dataset should have 9 items.")
        for part, name in ((0, "x"), (1, "y")):
            values = [item[part] if isinstance(item, (tuple, list)) and len(item) == 2 else None
                      for item in items]
            expect(all(type(v) is torch.Tensor and v.is_floating_point() for v in values),
                   "Every item should be a pair (x, y) of floating-point tensors.")
            assert_close(torch.cat([v.reshape(-1).float() for v in values]),
                         torch.cat([item[part].reshape(-1) for item in want["items"]]),
                         what=f"{name} for {label.format(**args)}",
                         hint="with g = torch.Generator().manual_seed(seed), draw x first and "
                              "noise second, each with torch.randn(num_samples, 1, generator=g); "
                              "then y = slope * x + intercept + noise_std * noise.")


@check(points=1, part="RegressionDataset")
def test_regression_private_generator(submission, seed):
    """RegressionDataset: the same seed gives the same data and the global RNG is left alone."""
    got = submission.run(scenarios.regression_generator, num_samples=5,
                         seed=1 + seed % 10_000, global_seed=seed % 9_973)
    expect(field(got, "global_untouched", what="the global RNG state") is True,
           "Creating a RegressionDataset changed PyTorch's global random state, which silently "
           "changes every later random draw in the program.",
           "use a private generator, g = torch.Generator().manual_seed(seed), and pass "
           "generator=g to torch.randn; do not call torch.manual_seed.")
    expect(field(got, "reproducible", what="the reproducibility test") is True,
           "Two RegressionDatasets with the same seed hold different data.",
           "draw every random number from torch.Generator().manual_seed(seed).")


@check(points=3, part="RegressionDataset")
def test_regression_indexing(submission, seed):
    """RegressionDataset: negative indices, IndexError out of range, num_samples=0."""
    got = submission.run(scenarios.regression_indexing, num_samples=6, seed=1 + seed % 10_000)
    _check_indexing(got, 6, "RegressionDataset")
    expect(field(got, "empty_length", what="len(RegressionDataset(0))") == 0,
           f"len(RegressionDataset(0)) should be 0 but is {got['empty_length']}.")
    for index, outcome in field(got, "empty_access", what="the empty dataset").items():
        expect(outcome == "IndexError",
               f"RegressionDataset(0)[{index}] should raise IndexError (the dataset is empty) "
               f"but it {'returned an item' if outcome == 'returned' else 'raised ' + outcome}.",
               RANGE_HINT)


def _vocab_inputs(rng: torch.Generator) -> dict[str, Any]:
    """Texts with mixed case and odd whitespace whose tokens do not appear in sorted order."""
    w = _words(rng, 8)
    if w[0] < w[1]:
        w[0], w[1] = w[1], w[0]
    texts = [f"{w[0].capitalize()}  {w[1]} {w[0]}",
             f"\t{w[2].upper()}\t{w[1].capitalize()} {w[3]} ",
             f"{w[3]}\n{w[4]}  {w[2]} {w[5].capitalize()}",
             f"  {w[6]} {w[5]} {w[7].upper()} {w[6]}  ",
             f"{w[7]} {w[0]}"]
    return {"texts": texts, "labels": ["b", "a", "b", "c", "a"], "vocab": None}


@check(points=3, part="TextClassificationDataset")
def test_text_vocab(submission, reference, rng):
    """TextClassificationDataset: the vocabulary is built in order of first appearance."""
    inputs = _vocab_inputs(rng)
    got = submission.run(scenarios.text_dataset, **inputs)
    want = reference.run(scenarios.text_dataset, **inputs)
    vocab, expected = field(got, "vocab", what="the vocab"), want["vocab"]
    expect(got["vocab_is_dict"] is True, "dataset.vocab should be a dict from token to id.")
    for special, index in (("<pad>", 0), ("<unk>", 1)):
        expect(vocab.get(special) == index,
               f"vocab[{special!r}] should be {index} but is {vocab.get(special, 'missing')}.",
               'start from vocab = {"<pad>": 0, "<unk>": 1}.')
    extra, missing = sorted(set(vocab) - set(expected)), sorted(set(expected) - set(vocab))
    capitals = [token for token in extra if token != token.lower()]
    expect(not capitals, f"The vocab holds tokens with capitals, e.g. {capitals[:2]}.",
           "tokens are text.lower().split(): lowercase the text before splitting.",
           cause="lowercase")
    expect("" not in extra and not any(token.strip() != token for token in extra),
           "The vocab holds empty or whitespace tokens, from texts with double spaces or tabs.",
           "split with text.lower().split() (no argument), not split(' ').")
    expect(not extra and not missing,
           f"The vocab should hold {len(expected)} tokens but "
           + (f"also holds {extra[:3]}" if extra else f"lacks {missing[:3]}") + ".",
           "add every token of every text, lowercased, once.")
    for token in sorted(expected, key=expected.__getitem__):
        expect(vocab[token] == expected[token],
               f"vocab[{token!r}] should be {expected[token]} but is {vocab[token]!r}: ids "
               f"follow the order in which tokens first appear in the texts.",
               "loop over the texts in order and give each new token the id len(vocab); "
               "do not sort the tokens or use a set.")


@check(points=2, part="TextClassificationDataset")
def test_text_given_vocab(submission, reference, rng):
    """TextClassificationDataset: a given vocab is used as is; unknown tokens map to 1."""
    w = _words(rng, 7)
    ids = (torch.randperm(4, generator=rng) + 2).tolist()
    vocab = {"<pad>": 0, "<unk>": 1, **dict(zip(w[:4], ids, strict=True))}
    texts = [f"{w[0]} {w[4]} {w[1]}", f"{w[5].upper()} {w[2].capitalize()}", f"{w[6]} {w[6]}",
             f"{w[3]} {w[0]} {w[5]}"]
    inputs = {"texts": texts, "labels": [1, 0, 1, 0], "vocab": vocab}
    got = submission.run(scenarios.text_dataset, **inputs)
    want = reference.run(scenarios.text_dataset, **inputs)
    assert_close(field(got, "vocab", what="the vocab"), vocab,
                 what="dataset.vocab when a vocab is given",
                 hint="with a given vocab, set self.vocab = vocab and do not add tokens to it.")
    for i, (g, w_) in enumerate(zip(field(got, "items", what="the items"), want["items"],
                                    strict=True)):
        ids = g["input_ids"] if isinstance(g, dict) else g
        what = f"dataset[{i}]['input_ids'] for the text {texts[i]!r} and a given vocab"
        unlowered = torch.tensor([vocab.get(t, 1) for t in texts[i].split()], dtype=torch.long)
        expect(not _same(ids, unlowered) or torch.equal(unlowered, w_["input_ids"]),
               f"{what} comes from tokens that were not lowercased: "
               f"{texts[i].split()} instead of {texts[i].lower().split()}.",
               "tokens are text.lower().split(), also with a given vocab.", cause="lowercase")
        assert_close(ids, w_["input_ids"], what=what,
                     hint="look each lowercased token up with vocab.get(token, 1): tokens "
                          "missing from the vocab become 1 (<unk>).")


def _same(got: Any, want: torch.Tensor) -> bool:
    """Whether ``got`` is a tensor equal to ``want`` in shape and values (any dtype)."""
    return (type(got) is torch.Tensor and got.shape == want.shape
            and got.device.type != "meta" and torch.equal(got.cpu().to(want.dtype), want))


SORTED_IN_PLACE = ("as happens when the caller's list of labels is sorted in place "
                   "(labels.sort()) before the ids are taken")
SORTED_HINT = ("use sorted(set(labels)), which returns a new list; labels.sort() reorders the "
               "caller's list, and with it the label of every item.")


def _sorted_label_ids(labels: list[Any]) -> list[int]:
    """The label ids of items whose labels were sorted in place: only used to word a failure."""
    classes = sorted(set(labels))
    return [classes.index(label) for label in sorted(labels)]


def _class_inputs(rng: torch.Generator) -> list[dict[str, Any]]:
    """String and integer labels whose first-appearance order is not sorted."""
    names = sorted(CLASS_NAMES[int(i)] for i in torch.randperm(len(CLASS_NAMES),
                                                                 generator=rng)[:3])
    numbers = [int(torch.randint(10 * k + 2, 10 * k + 10, (), generator=rng)) for k in range(3)]
    pattern = (2, 0, 1, 2, 0, 1, 1)
    texts = [" ".join(_words(rng, 2)) for _ in pattern]
    return [{"texts": texts, "labels": [names[k] for k in pattern], "vocab": None},
            {"texts": texts, "labels": [numbers[k] for k in pattern], "vocab": None}]


@check(points=2, part="TextClassificationDataset")
def test_text_classes(submission, reference, rng):
    """TextClassificationDataset: classes are the sorted labels; a label's id is its index."""
    for inputs in _class_inputs(rng):
        labels = inputs["labels"]
        got = submission.run(scenarios.text_dataset, **inputs)
        want = reference.run(scenarios.text_dataset, **inputs)
        assert_close(field(got, "classes", what="dataset.classes"), want["classes"],
                     what="dataset.classes",
                     hint=f"for the labels {labels}, classes = sorted(set(labels)).")
        shuffled = _sorted_label_ids(labels)
        for i, (g, w) in enumerate(zip(field(got, "label_ids", what="the label ids"),
                                       want["label_ids"], strict=True)):
            expect(type(g) is not int or g == w or g != shuffled[i],
                   f"The labels came out in sorted order: dataset[{i}]['label'] for the label "
                   f"{labels[i]!r} holds {g!r}, the id of {sorted(labels)[i]!r}, "
                   f"{SORTED_IN_PLACE}.", SORTED_HINT,
                   cause="labels sorted in place")
            expect(type(g) is int and g == w,
                   f"dataset[{i}]['label'] for the label {labels[i]!r} should hold {w}, its "
                   f"index in the classes {want['classes']}, but holds {g!r}.",
                   "map labels through {label: i for i, label in enumerate(self.classes)}, "
                   "not the raw label nor its order of appearance.")


def _own_ids(vocab: Any, text: str) -> torch.Tensor | None:
    """The ids ``text`` should get under the student's own vocab (None if unusable)."""
    if not isinstance(vocab, dict) or not all(type(v) is int for v in vocab.values()):
        return None
    return torch.tensor([vocab.get(t, 1) for t in text.lower().split()], dtype=torch.long)


@check(points=2, part="TextClassificationDataset")
def test_text_items(submission, reference, rng):
    """TextClassificationDataset: items hold a LongTensor (T,) and a 0-dim LongTensor label."""
    s = sorted(_words(rng, 6))
    texts = [f"{s[0]} {s[1]} {s[0]}", s[2], "", f"{s[3]} {s[1]} {s[4]} {s[5]}", f"{s[5]} {s[5]}"]
    inputs = {"texts": texts, "labels": ["neg", "neg", "pos", "neg", "pos"], "vocab": None}
    got = submission.run(scenarios.text_dataset, **inputs)
    want = reference.run(scenarios.text_dataset, **inputs)
    vocab = field(got, "vocab", what="the vocab")
    for i, (item, expected) in enumerate(zip(field(got, "items", what="the items"),
                                             want["items"], strict=True)):
        expect(type(item) is dict and set(item) == {"input_ids", "label"},
               f"dataset[{i}] should be a dict with the keys 'input_ids' and 'label' but is "
               + (f"a dict with the keys {sorted(item)}" if type(item) is dict
                  else _kind(item)) + ".")
        own = _own_ids(vocab, texts[i])
        assert_close(item["input_ids"], expected["input_ids"] if own is None else own,
                     what=f"dataset[{i}]['input_ids'] for the text {texts[i]!r}",
                     hint="use torch.tensor([vocab.get(t, 1) for t in tokens], dtype=torch.long); "
                          "the dtype matters for an empty text: torch.tensor([]) is float32.")
        label = inputs["labels"][i]
        shuffled = torch.tensor(_sorted_label_ids(inputs["labels"])[i])
        expect(_same(item["label"], expected["label"]) or not _same(item["label"], shuffled),
               f"dataset[{i}]['label'] for the label {label!r} holds the id of "
               f"{sorted(inputs['labels'])[i]!r}: the labels came out in sorted order, "
               f"{SORTED_IN_PLACE}.", SORTED_HINT,
               cause="labels sorted in place")
        assert_close(item["label"], expected["label"],
                     what=f"dataset[{i}]['label'] for the label {label!r}",
                     hint="use torch.tensor(label_id, dtype=torch.long): a plain int gives a "
                          "0-dim tensor, which batches stack to shape (B,).")


@check(points=1, part="TextClassificationDataset")
def test_text_indexing(submission, rng):
    """TextClassificationDataset: len(), negative indices, IndexError, no texts at all."""
    texts = [" ".join(_words(rng, k)) for k in (3, 1, 2, 4)]
    got = submission.run(scenarios.text_indexing, texts=texts, labels=["x", "y", "x", "z"])
    _check_indexing(got, 4, "TextClassificationDataset")
    empty = "TextClassificationDataset([], [])"
    built = field(got, "empty", what=f"building {empty}")
    expect(built == "built", f"{empty} should build an empty dataset, but it raised {built}.",
           "no texts is a valid (empty) dataset: torch.stack([]) and max([]) fail on it, so "
           "keep plain lists in __init__ and build the tensors in __getitem__.")
    expect((got["empty_length"], got["empty_classes"]) == (0, []),
           f"{empty} should have len() 0 and classes [], but has len() {got['empty_length']} "
           f"and classes {got['empty_classes']}.")
    expect(got["empty_vocab"] == {"<pad>": 0, "<unk>": 1},
           f"The vocab of {empty} should be just {{'<pad>': 0, '<unk>': 1}}, but it is "
           f"{got['empty_vocab']}.")
    for index, outcome in got["empty_access"].items():
        expect(outcome == "IndexError",
               f"{empty}[{index}] should raise IndexError (the dataset is empty) but it "
               f"{'returned an item' if outcome == 'returned' else 'raised ' + outcome}.",
               RANGE_HINT)


@check(points=1, part="TextClassificationDataset")
def test_text_inputs_unchanged(submission, rng):
    """TextClassificationDataset: the texts, labels and a given vocab are not modified."""
    w = _words(rng, 5)
    inputs = {"texts": [f"{w[0].upper()} {w[1]}", f"{w[2]}  {w[3].capitalize()}", w[4]],
              "labels": ["sports", "arts", "politics"],
              "vocab": {"<pad>": 0, "<unk>": 1, w[0]: 2, w[2]: 3}}
    got = submission.run(scenarios.text_inputs_unchanged, **inputs)
    for key, what, hint in (
            ("texts_unchanged", "the list of texts", "lowercase into new strings: "
                                                      "tokens = text.lower().split()."),
            ("labels_unchanged", "the list of labels", "use sorted(set(labels)), which "
                                                        "returns a new list; labels.sort() "
                                                        "reorders the caller's list."),
            ("vocab_unchanged", "the given vocab", "look tokens up with vocab.get(token, 1); "
                                                    "never add tokens to a given vocab.")):
        expect(field(got, key, what=what) is True,
               f"Creating or reading the dataset modified {what} passed in.", hint,
               cause="labels sorted in place" if key == "labels_unchanged" else "")
