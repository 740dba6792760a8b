"""Mistakes in 04_collate: padding side, mask, dtypes, pad_value, picklable loader."""

from __future__ import annotations

from autograder.catalogue import Mistake, Replace, fails

A = "04_collate"

COPY = '        input_ids[row, : lengths_list[row]] = item["input_ids"]\n'
MASK = "    attention_mask = torch.arange(max_len, device=device) < lengths.unsqueeze(1)\n"
FULL = ("    input_ids = torch.full((len(batch), max_len), pad_value, dtype=torch.long, "
        "device=device)\n")
PARTIAL = "collate_fn=functools.partial(pad_collate, pad_value=pad_value),"

MISTAKES = [
    Mistake(
        name="left_padding", assignment=A,
        edits=(Replace(COPY, "        if lengths_list[row]:\n            input_ids[row, max_len - "
                             "lengths_list[row]:] = item[\"input_ids\"]\n"),
               Replace(MASK, "    attention_mask = (torch.arange(max_len, device=device) < "
                             "lengths.unsqueeze(1)).flip(1)\n")),
        # The loader's batches are compared with the submission's own pad_collate.
        fails=fails(A, "input_ids", "attention_mask"),
        feedback="right padding",
        forbidden_hints=("input_ids != pad_value", "bool tensor")),
    Mistake(
        name="mask_inverted", assignment=A,
        edits=(Replace(MASK, "    attention_mask = torch.arange(max_len, device=device) >= "
                             "lengths.unsqueeze(1)\n"),),
        fails=fails(A, "attention_mask"),
        feedback="True exactly where a real token sits",
        forbidden_hints=("input_ids != pad_value", "bool tensor", "left padding")),
    Mistake(
        name="mask_from_pad_value", assignment=A,
        edits=(Replace(MASK, "    attention_mask = input_ids != pad_value\n"),),
        fails=fails(A, "attention_mask"),
        feedback="a real token may equal pad_value",
        forbidden_hints=("bool tensor", "inverted")),
    Mistake(
        name="mask_not_bool", assignment=A,
        edits=(Replace(MASK, MASK + "    attention_mask = attention_mask.long()\n"),),
        fails=fails(A, "attention_mask"),
        feedback="bool tensor",
        forbidden_hints=("input_ids != pad_value", "inverted")),
    Mistake(
        name="lengths_as_list", assignment=A,
        edits=(Replace('        "lengths": lengths,\n', '        "lengths": lengths_list,\n'),),
        fails=fails(A, "lengths_and_labels", "all_empty_batch"),
        feedback="should be a tensor but is a list",
        forbidden_hints=("do not sort the batch",)),
    Mistake(
        name="pad_value_ignored", assignment=A,
        edits=(Replace(FULL, FULL.replace("pad_value", "0")),),
        fails=fails(A, "input_ids"),
        feedback="expected -1, got 0",
        forbidden_hints=("left padding",)),
    Mistake(
        name="lambda_collate_fn", assignment=A,
        edits=(Replace(PARTIAL, "collate_fn=lambda b: pad_collate(b, pad_value=pad_value),"),),
        fails=fails(A, "make_loader_picklable"),
        feedback="'spawn'",
        forbidden_hints=("should return a torch.utils.data.DataLoader",)),
    Mistake(
        name="items_modified", assignment=A,
        edits=(Replace(COPY, '        item["input_ids"] = torch.nn.functional.pad('
                             'item["input_ids"], '
                             '(0, max_len - lengths_list[row]), value=pad_value)\n'
                             '        input_ids[row] = item["input_ids"]\n'),),
        fails=fails(A, "items_unchanged"),
        feedback="modified the items"),
    Mistake(
        name="labels_squeezed", assignment=A,
        edits=(Replace('        "labels": labels,\n', '        "labels": labels.squeeze(),\n'),),
        fails=fails(A, "lengths_and_labels"),
        feedback="for a batch of one item",
        forbidden_hints=("in batch order",)),
]
