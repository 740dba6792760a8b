"""Scenarios for 03_custom_dataset: run inside the sandbox on the student's module.

Indexing probes report what happened as a string (``"IndexError"``, another
exception's type name, ``"same"``/``"different"``) so the judge can explain
it; ``NotImplementedError`` always propagates, so an untouched stub is
reported as not implemented rather than as a wrong answer.
"""

from __future__ import annotations

from typing import Any

import torch

from autograder.sandbox.generic import reseed, same


def _get(dataset: Any, index: int) -> tuple[Any, str]:
    """``dataset[index]`` and ``"returned"``, or ``None`` and the exception's name."""
    try:
        return dataset[index], "returned"
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - reported to the judge by name
        return None, type(error).__name__


def _indexing(dataset: Any, size: int) -> dict[str, Any]:
    """Negative indices against their positive twins, and out-of-range accesses."""
    negative = {}
    for index in (-1, -2, -size):
        item, outcome = _get(dataset, index)
        if outcome == "returned":
            twin, _ = _get(dataset, index + size)
            outcome = "same" if same(item, twin) else "different"
        negative[str(index)] = outcome
    out_of_range = {str(i): _get(dataset, i)[1] for i in (size, size + 3, -size - 1)}
    return {"length": len(dataset), "negative": negative, "out_of_range": out_of_range}


def _plain(value: Any) -> Any:
    """A label or class as a plain value: numpy scalars and 1-element tensors unwrapped."""
    if isinstance(value, (str, int, float)):
        return value
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    item = getattr(value, "item", None)
    return item() if callable(item) else repr(value)


def regression_items(mod: Any, num_samples: int, slope: float | None, intercept: float | None,
                     noise_std: float | None, seed: int | None) -> dict[str, Any]:
    """Length and every item; arguments left as None are not passed (defaults)."""
    given = {"slope": slope, "intercept": intercept, "noise_std": noise_std, "seed": seed}
    dataset = mod.RegressionDataset(num_samples, **{k: v for k, v in given.items()
                                                    if v is not None})
    return {"length": len(dataset), "items": [dataset[i] for i in range(num_samples)]}


def regression_generator(mod: Any, num_samples: int, seed: int, global_seed: int
                         ) -> dict[str, Any]:
    """Whether the data comes from a private generator: reproducible, global RNG untouched."""
    reseed(global_seed)
    before = torch.get_rng_state()
    first = mod.RegressionDataset(num_samples, seed=seed)
    global_untouched = torch.equal(before, torch.get_rng_state())
    reseed(global_seed + 1)
    second = mod.RegressionDataset(num_samples, seed=seed)
    return {
        "global_untouched": global_untouched,
        "reproducible": all(same(first[i], second[i]) for i in range(num_samples)),
    }


def regression_indexing(mod: Any, num_samples: int, seed: int) -> dict[str, Any]:
    """Negative and out-of-range indices, and an empty dataset."""
    result = _indexing(mod.RegressionDataset(num_samples, seed=seed), num_samples)
    empty = mod.RegressionDataset(0, seed=seed)
    result["empty_length"] = len(empty)
    result["empty_access"] = {str(i): _get(empty, i)[1] for i in (0, -1)}
    return result


def text_dataset(mod: Any, texts: list[str], labels: list[Any],
                 vocab: dict[str, int] | None) -> dict[str, Any]:
    """Vocabulary, classes, label ids and every item of a TextClassificationDataset."""
    if vocab is None:
        dataset = mod.TextClassificationDataset(texts, labels)
    else:
        dataset = mod.TextClassificationDataset(texts, labels, vocab=vocab)
    items = [dataset[i] for i in range(len(texts))]
    label_ids = [_plain(item["label"]) if isinstance(item, dict) and "label" in item
                 else None for item in items]
    return {
        "vocab": {str(token): _plain(i) for token, i in dict(dataset.vocab).items()},
        "vocab_is_dict": isinstance(dataset.vocab, dict),
        "classes": [_plain(c) for c in dataset.classes],
        "label_ids": label_ids,
        "length": len(dataset),
        "items": items,
    }


def text_indexing(mod: Any, texts: list[str], labels: list[Any]) -> dict[str, Any]:
    """Negative and out-of-range indices of a TextClassificationDataset, and an empty one."""
    result = _indexing(mod.TextClassificationDataset(texts, labels), len(texts))
    try:
        empty = mod.TextClassificationDataset([], [])
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - reported to the judge by name
        result["empty"] = type(error).__name__
        return result
    result["empty"] = "built"
    result["empty_length"] = len(empty)
    result["empty_access"] = {str(i): _get(empty, i)[1] for i in (0, -1)}
    result["empty_vocab"] = {str(token): _plain(i) for token, i in dict(empty.vocab).items()}
    result["empty_classes"] = [_plain(c) for c in empty.classes]
    return result


def text_inputs_unchanged(mod: Any, texts: list[str], labels: list[Any],
                          vocab: dict[str, int]) -> dict[str, Any]:
    """Builds and reads two datasets, then compares the inputs with copies taken before."""
    texts_copy, labels_copy, vocab_copy = list(texts), list(labels), dict(vocab)
    built = mod.TextClassificationDataset(texts, labels)
    given = mod.TextClassificationDataset(texts, labels, vocab=vocab)
    for dataset in (built, given):
        for i in range(len(texts)):
            dataset[i]
    return {
        "texts_unchanged": texts == texts_copy,
        "labels_unchanged": labels == labels_copy,
        "vocab_unchanged": vocab == vocab_copy and list(vocab) == list(vocab_copy),
    }
