"""Checks for 04_collate (20 points): pad_collate and a picklable make_loader.

The judge builds the dataset items itself (plain lists turned into tensors in
the scenario), so a mistake in 03_custom_dataset never costs points here.
"""

from __future__ import annotations

from typing import Any

import torch

from autograder.assignments.collate import scenarios
from autograder.judge import assert_close, check, expect, field

# pad_collate and make_loader are not graded on devices (SPEC §2): collate functions
# run on the CPU, usually in loader workers, and the training loop moves each batch.
# So the items are on the CPU whatever device the session grades on, and a collate
# that builds its batch with torch.tensor(...) on the CPU is as right as any.
ITEMS_DEVICE = "cpu"
KEYS = ("input_ids", "attention_mask", "lengths", "labels")
PAD_HINT = ("allocate torch.full((B, T_max), pad_value, dtype=torch.long) and copy each "
            "sequence into the start of its row (right padding), or use "
            "pad_sequence(..., batch_first=True, padding_value=pad_value).")
MASK_HINT = ("the mask is True exactly where a real token sits: compute it from the lengths, "
             "torch.arange(T_max) < lengths[:, None], not from input_ids != pad_value (a real "
             "token may equal pad_value); it must be a bool tensor.")
LOADER_HINT = ("return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, "
               "collate_fn=functools.partial(pad_collate, pad_value=pad_value), "
               "generator=generator).")


def _kind(value: Any) -> str:
    if type(value) is torch.Tensor:
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    if type(value) in (list, tuple):
        return f"a {type(value).__name__} of length {len(value)}"
    return "None" if value is None else f"a {type(value).__name__}"


def _batch(rng: torch.Generator, size: int = 5, token: int | None = None) -> dict[str, Any]:
    """Sequences of varied lengths (one empty, the longest in the middle) and labels.

    ``token`` is written into two sequences as a real token (e.g. the pad value).
    """
    lengths = torch.randint(1, 6, (size,), generator=rng).tolist()
    lengths[1], lengths[2] = 0, 7
    seqs = [torch.randint(2, 20, (n,), generator=rng).tolist() for n in lengths]
    if token is not None:
        seqs[0][-1], seqs[2][0] = token, token
    labels = torch.randint(0, 4, (size,), generator=rng).tolist()
    return {"seqs": seqs, "labels": labels}


def _out(got: Any, call: str) -> dict[str, Any]:
    """pad_collate's dict from a scenario result, failing clearly when it is not one."""
    expect(field(got, "is_dict", what=f"the result of {call}") is True,
           f"{call} should return a dict with the keys {list(KEYS)}.",
           "return {'input_ids': ..., 'attention_mask': ..., 'lengths': ..., 'labels': ...}.")
    return got["out"]


def _collate(submission: Any, reference: Any, inputs: dict[str, Any]
             ) -> tuple[Any, dict[str, Any], str]:
    """Runs pad_collate for both; returns the student's dict, the reference's, and the call."""
    pad = inputs["pad_value"]
    call = "pad_collate(batch)" if pad is None else f"pad_collate(batch, pad_value={pad})"
    got = submission.run(scenarios.collate, **inputs)
    want = reference.run(scenarios.collate, **inputs)
    return _out(got, call), want["out"], call


def _expect_batch_order(got: Any, want: torch.Tensor, call: str) -> None:
    """Fails with a clear message when the rows are right but in another order."""
    if type(got) is not torch.Tensor or got.shape != want.shape or torch.equal(got, want):
        return
    rows = sorted(map(tuple, got.tolist()))
    expect(rows != sorted(map(tuple, want.tolist())),
           f"{call}['input_ids'] holds the right rows in another order: row i must be item i.",
           "keep the batch order; do not sort the items (e.g. by length).")


@check(points=5, part="pad_collate")
def test_input_ids(submission, reference, rng):
    """pad_collate: input_ids are right-padded with pad_value into a (B, T_max) LongTensor."""
    for pad in (-1, None):
        inputs = {**_batch(rng), "pad_value": pad, "device": ITEMS_DEVICE}
        out, want, call = _collate(submission, reference, inputs)
        _expect_batch_order(field(out, "input_ids", what="input_ids"), want["input_ids"], call)
        what = f"{call}['input_ids'] for sequences of lengths {[len(s) for s in inputs['seqs']]}"
        hint = PAD_HINT + (" The default pad_value is 0." if pad is None else "")
        expect(not _same(out["input_ids"], _left_padded(want["input_ids"], inputs["seqs"])),
               f"The sequences are padded on the left: {what} has each sequence at the end of "
               "its row, but row i should start with the tokens of item i (right padding).",
               hint, cause="left padding")
        assert_close(out["input_ids"], want["input_ids"], what=what, hint=hint)


def _same(got: Any, want: torch.Tensor) -> bool:
    """Whether ``got`` is a tensor equal to ``want`` in shape and values (any dtype)."""
    return (type(got) is torch.Tensor and got.shape == want.shape
            and got.device.type != "meta" and torch.equal(got.cpu().to(want.dtype), want))


def _left_padded(right: torch.Tensor, seqs: list[list[int]]) -> torch.Tensor:
    """A right-padded batch as left padding would have laid it out: used to word a failure."""
    left = right.clone()
    for row, seq in enumerate(seqs):
        left[row] = right[row].roll(right.shape[1] - len(seq)) if seq else right[row]
    return left


@check(points=4, part="pad_collate")
def test_attention_mask(submission, reference, rng):
    """pad_collate: attention_mask is a BoolTensor, True exactly on real tokens."""
    inputs = {**_batch(rng, token=7), "pad_value": 7, "device": ITEMS_DEVICE}
    out, want, call = _collate(submission, reference, inputs)
    mask, right = field(out, "attention_mask", what="attention_mask"), want["attention_mask"]
    what = f"{call}['attention_mask'] for sequences {inputs['seqs']}"
    if type(mask) is torch.Tensor and mask.shape == right.shape:
        _diagnose_mask(mask, right, want["input_ids"], what)
    assert_close(mask, right, what=what, hint=MASK_HINT)


def _diagnose_mask(mask: torch.Tensor, right: torch.Tensor, ids: torch.Tensor, what: str
                   ) -> None:
    """Names the classic wrong masks (a mask of the right shape, with pad_value 7)."""
    from_lengths = "compute it from the lengths: torch.arange(T_max) < lengths[:, None]."
    expect(mask.dtype == torch.bool,
           f"{what} has dtype {mask.dtype}, but a mask must be a bool tensor (torch.bool).",
           "comparing positions with the lengths, torch.arange(T_max) < lengths[:, None], "
           "already gives a bool tensor: do not convert it with .long(), .int() or .float().")
    if mask.device.type == "meta":
        return
    mask = mask.cpu()
    expect(not torch.equal(mask, ~right),
           f"{what} is inverted: it is True on the padding and False on the real tokens.",
           "the mask is True exactly where a real token sits; " + from_lengths)
    expect(not torch.equal(mask, ids != 7),
           f"{what} is False on real tokens that equal pad_value (7): a real token may equal "
           "pad_value, so the mask cannot come from input_ids != pad_value.", from_lengths)
    expect(not _same(mask, _left_padded(right, [[0] * int(n) for n in right.sum(1)])),
           f"The mask is padded on the left: {what} is True at the end of each row, but row i "
           "should be True on its first lengths[i] positions (right padding).", from_lengths,
           cause="left padding")


@check(points=3, part="pad_collate")
def test_lengths_and_labels(submission, reference, rng):
    """pad_collate: lengths and labels are LongTensors of shape (B,) in batch order, B=1 too."""
    inputs = {**_batch(rng), "pad_value": -1, "device": ITEMS_DEVICE}
    out, want, call = _collate(submission, reference, inputs)
    lengths = [len(s) for s in inputs["seqs"]]
    for key, what, make, order in (
            ("lengths", f"{call}['lengths'] for sequences of lengths {lengths}",
             "torch.tensor([len(ids) for ...], dtype=torch.long)",
             "one entry per item, in batch order (do not sort the batch)"),
            ("labels", f"{call}['labels'] for the labels {inputs['labels']}",
             "torch.stack([item['label'] for item in batch]), of shape (B,)",
             "stack the 0-dim labels in batch order")):
        got = field(out, key, what=key)
        expect(type(got) is torch.Tensor,
               f"{key} is not a tensor: {what} should be a tensor but is {_kind(got)}.",
               f"make it a LongTensor: {make}.", cause=key)
        assert_close(got, want[key], what=what, hint=f"{order}: {make}.", cause=key)
    length = int(torch.randint(1, 6, (), generator=rng))
    single = {"seqs": [torch.randint(2, 20, (length,), generator=rng).tolist()],
              "labels": [int(torch.randint(0, 4, (), generator=rng))], "pad_value": -1,
              "device": ITEMS_DEVICE}
    out, want, call = _collate(submission, reference, single)
    for key in ("input_ids", "lengths", "labels"):
        assert_close(field(out, key, what=key), want[key],
                     what=f"{call}[{key!r}] for a batch of one item",
                     hint="a batch of one is still a batch: input_ids has shape (1, T) and "
                          "lengths and labels have shape (1,), so do not squeeze.")


@check(points=2, part="pad_collate")
def test_all_empty_batch(submission, reference, rng):
    """pad_collate: a batch of only empty sequences gives (B, 0) tensors."""
    regular = {**_batch(rng), "pad_value": 5, "device": ITEMS_DEVICE}
    usual, _, _ = _collate(submission, reference, regular)
    labels = torch.randint(0, 4, (3,), generator=rng).tolist()
    inputs = {"seqs": [[], [], []], "labels": labels, "pad_value": 5, "device": ITEMS_DEVICE}
    out, want, call = _collate(submission, reference, inputs)
    hint = ("T_max is 0 here: use max(lengths, default=0), and give new tensors an explicit "
            "dtype (torch.tensor([[], [], []]) is float32).")
    for key in KEYS:
        got = field(out, key, what=key)
        expect(type(got) is torch.Tensor and got.shape == want[key].shape,
               f"{call}[{key!r}] for three empty sequences should have shape "
               f"{tuple(want[key].shape)} but is {_kind(got)}.", hint,
               cause=key if type(got) is not torch.Tensor else "")
        normal = field(usual, key, what=key)
        expect(type(normal) is not torch.Tensor or got.dtype == normal.dtype,
               f"{call}[{key!r}] has dtype {got.dtype} for three empty sequences but "
               f"{normal.dtype} for a batch with tokens.", hint)
        if got.dtype == want[key].dtype:
            assert_close(got, want[key], what=f"{call}[{key!r}] for three empty sequences",
                         hint=hint)


@check(points=1, part="pad_collate")
def test_items_unchanged(submission, rng):
    """pad_collate: the items of the batch are not modified."""
    inputs = {**_batch(rng, token=3), "pad_value": 3, "device": ITEMS_DEVICE}
    got = submission.run(scenarios.collate, **inputs)
    expect(field(got, "items_unchanged", what="the items") is True,
           "pad_collate modified the items it was given (their dicts or tensors).",
           "build new tensors for the batch; never write into item['input_ids'] or replace "
           "entries of the item dicts.")


def _loader(submission: Any, reference: Any, **inputs: Any) -> tuple[list[Any], list[Any]]:
    """Epochs of make_loader for both, after checking that it returns a DataLoader."""
    got = submission.run(scenarios.loader_batches, **inputs)
    want = reference.run(scenarios.loader_batches, **inputs)
    expect(field(got, "is_loader", what="the loader") is True,
           "make_loader should return a torch.utils.data.DataLoader.", LOADER_HINT)
    return got["epochs"], want["epochs"]


def _check_batches(epoch: dict[str, Any], call: str) -> None:
    """The loader's batches equal the student's own pad_collate of the same items."""
    batches, direct = field(epoch, "batches", what="the batches"), epoch["direct"]
    hint = ("each batch should be pad_collate(items, pad_value=pad_value) of its items: pass "
            "collate_fn=functools.partial(pad_collate, pad_value=pad_value) to the DataLoader.")
    expect(len(batches) == len(direct), f"{call} gave {len(batches)} batches for "
                                        f"{len(direct)} groups of indices read.", hint)
    for b, (got, want) in enumerate(zip(batches, direct, strict=True)):
        if type(want) is not dict:
            assert_close(got, want, what=f"Batch {b} of {call}", hint=hint)
            continue
        expect(type(got) is dict, f"Batch {b} of {call} should be the dict that pad_collate "
                                  f"returns, but is {_kind(got)}.", hint)
        for key in want:
            assert_close(field(got, key, what=f"batch[{key!r}]"), want[key],
                         what=f"{key} of batch {b} from {call}", hint=hint)


@check(points=2, part="make_loader")
def test_make_loader_batches(submission, reference, rng):
    """make_loader: batches are pad_collate of the items in order, with pad_value honoured."""
    data = _batch(rng, size=7)
    for pad, shuffle in ((None, None), (7, False)):
        call = "make_loader(dataset, 3" + ("" if pad is None else
                                           f", shuffle=False, pad_value={pad}") + ")"
        got, want = _loader(submission, reference, **data, batch_size=3, pad_value=pad,
                            shuffle=shuffle, seed=None, global_seed=0, epochs=1,
                            device=ITEMS_DEVICE)
        indices = field(got[0], "indices", what="the indices")
        expect(indices == want[0]["indices"],
               f"{call} over 7 items should read the items {want[0]['indices']} batch by "
               f"batch, but read {indices}.",
               "keep batch_size, all items, and shuffle=False by default: " + LOADER_HINT)
        _check_batches(got[0], call)


@check(points=1, part="make_loader")
def test_make_loader_shuffle(submission, rng, seed):
    """make_loader: shuffle=True reshuffles every epoch, in an order set by the generator."""
    data = _batch(rng, size=10)
    inputs = {**data, "batch_size": 4, "pad_value": 7, "shuffle": True, "seed": seed,
              "epochs": 2, "device": ITEMS_DEVICE}
    call = "make_loader(dataset, 4, shuffle=True, pad_value=7, generator=g)"
    runs = [submission.run(scenarios.loader_batches, **inputs, global_seed=seed % 1000 + k)
            for k in (0, 1)]
    orders = []
    for run in runs:
        expect(field(run, "is_loader", what="the loader") is True,
               "make_loader should return a torch.utils.data.DataLoader.", LOADER_HINT)
        for epoch in run["epochs"]:
            sizes = [len(chunk) for chunk in epoch["indices"]]
            order = [i for chunk in epoch["indices"] for i in chunk]
            expect(sizes == [4, 4, 2] and sorted(order) == list(range(10)),
                   f"An epoch of {call} over 10 items should read every item once in batches "
                   f"of sizes [4, 4, 2], but read the indices {epoch['indices']}.", LOADER_HINT)
            _check_batches(epoch, call)
            orders.append(order)
    expect(orders[0] != list(range(10)) or orders[1] != list(range(10)),
           f"{call} did not shuffle: the items came in their original order.",
           "pass shuffle=shuffle to the DataLoader.")
    expect(orders[:2] == orders[2:],
           f"Two loaders from {call} with generators seeded alike gave different orders: the "
           "order follows the global random state instead of the generator.",
           "pass generator=generator to the DataLoader.")
    expect(orders[0] != orders[1],
           f"{call} gave the same order in two epochs; it should reshuffle every epoch.",
           "let the DataLoader shuffle (shuffle=True) rather than permuting the data once.")


@check(points=2, part="make_loader")
def test_make_loader_picklable(submission, rng):
    """make_loader: the loader and its collate_fn can be pickled (num_workers > 0 with spawn)."""
    inputs = {**_batch(rng, size=7), "batch_size": 3, "pad_value": 7, "device": ITEMS_DEVICE}
    got = submission.run(scenarios.loader_pickle, **inputs)
    hint = ("a lambda or a function defined inside make_loader cannot be pickled; use "
            "collate_fn=functools.partial(pad_collate, pad_value=pad_value).")
    for key, what in (("collate_error", "The loader's collate_fn"),
                      ("loader_error", "The loader")):
        error = field(got, key, what=what)
        expect(not error,
               f"{what} could not be pickled ({error}), so the loader fails with "
               "num_workers > 0 under the 'spawn' start method (the default on macOS and "
               "Windows), which sends it to each worker process by pickle.", hint)
    batches = -(-len(inputs["seqs"]) // inputs["batch_size"])
    expect(field(got, "batch_count", what="the loader's length") == batches,
           f"make_loader over {len(inputs['seqs'])} items with batch_size="
           f"{inputs['batch_size']} should give {batches} batches, but the loader has "
           f"{got['batch_count']}.", "build the DataLoader over the dataset you were given.")
    expect(field(got, "same_batches", what="the unpickled loader") is True,
           "After pickling and unpickling, the loader gives different batches.", hint)
