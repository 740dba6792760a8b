"""Checks for 05_training_loop (20 points): epochs, evaluation, fit, checkpoints, devices.

Data sets have a size that the batch size does not divide, so the last batch
is smaller, and targets whose scale grows along the data set, so that the
mean of batch means differs clearly from the mean per sample.
"""

from __future__ import annotations

from typing import Any

import torch

from autograder.assignments.training_loop import scenarios
from autograder.judge import assert_close, check, expect, field
from autograder.judge.figures import attach_curves

ONE_STEP = ("per batch, exactly once each: optimizer.zero_grad(), outputs = model(inputs), "
            "loss = loss_fn(outputs, targets), loss.backward(), optimizer.step().")
PER_SAMPLE = ("add loss.item() * len(inputs) for every batch and divide by the number of "
              "samples, so that the smaller last batch does not count as much as a full one.")
LOSS_RTOL = 1e-5
"""Losses are float32 sums over batches: correct loops that add in another order differ
by a few ulps, far less than this; the mistakes these checks catch differ by percents."""


def _data(rng: torch.Generator, samples: int, n_in: int = 4, n_out: int = 3,
          dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    inputs = torch.randn(samples, n_in, generator=rng, dtype=dtype)
    scale = torch.linspace(0.3, 3.0, samples, dtype=dtype).unsqueeze(1)
    return inputs, torch.randn(samples, n_out, generator=rng, dtype=dtype) * scale


def _epoch_args(rng: torch.Generator, seed: int, device: torch.device, **options: Any
                ) -> dict[str, Any]:
    inputs, targets = _data(rng, 23)
    args = {"inputs": inputs, "targets": targets, "batch_size": 5, "seed": seed,
            "kind": "mlp", "optimizer": "sgd", "start_mode": "train", "device": str(device)}
    return {**args, **options}


def _expect_float(value: Any, function: str) -> None:
    kind = "a tensor" if isinstance(value, torch.Tensor) else repr(value)
    expect(type(value) is float, f"{function} should return a Python float but returned {kind}.",
           "return a number, e.g. total / count where total adds up loss.item() values.")


@check(points=2, part="train_one_epoch")
def test_train_loss_per_sample(submission, reference, rng, seed, device):
    """train_one_epoch returns the mean loss per sample as a float."""
    args = _epoch_args(rng, seed, device, optimizer="frozen")
    got = submission.run(scenarios.train_epoch, **args)
    want = reference.run(scenarios.train_epoch, **args)
    loss = field(got, "loss", what="training loss")
    _expect_float(loss, "train_one_epoch")
    assert_close(loss, want["loss"], what="The loss train_one_epoch returned (23 samples in "
                 "batches of 5, 5, 5, 5, 3)", hint=PER_SAMPLE, rtol=LOSS_RTOL)


@check(points=2, part="train_one_epoch")
def test_train_parameters(submission, reference, rng, seed, device):
    """One epoch with SGD and momentum updates the parameters like the reference."""
    args = _epoch_args(rng, seed, device)
    got = submission.run(scenarios.train_epoch, **args)
    want = reference.run(scenarios.train_epoch, **args)
    assert_close(field(got, "parameters", what="parameters"), want["parameters"],
                 what="The parameters after one epoch", hint=ONE_STEP)


@check(points=2, part="train_one_epoch")
def test_gradients_zeroed(submission, reference, rng, seed, device):
    """Every optimizer step uses the gradient of its own batch only."""
    args = _epoch_args(rng, seed, device)
    got = field(submission.run(scenarios.train_epoch, **args), "step_grads",
                what="gradients seen by optimizer.step()")
    want = reference.run(scenarios.train_epoch, **args)["step_grads"]
    expect(len(got) == len(want),
           f"optimizer.step() ran {len(got)} times for {len(want)} batches; it should run "
           "once per batch.", "call optimizer.step() inside the loop over the batches.")
    for i, (got_step, want_step) in enumerate(zip(got, want, strict=True)):
        hint = ("call optimizer.zero_grad() before loss.backward(), never between backward() "
                "and step(), which would throw the fresh gradient away." if i == 0 else
                "the gradients of earlier batches were still there: call optimizer.zero_grad() "
                "in every batch, before loss.backward().")
        assert_close(got_step, want_step, hint=hint,
                     what=f"The gradients that optimizer.step() used for batch {i + 1}")


@check(points=2, part="train_one_epoch")
def test_train_mode(submission, reference, rng, seed, device):
    """train_one_epoch puts the model in training mode (batch norm model left in eval)."""
    args = _epoch_args(rng, seed, device, kind="batchnorm", start_mode="eval",
                       optimizer="frozen")
    got = submission.run(scenarios.train_epoch, **args)
    want = reference.run(scenarios.train_epoch, **args)
    modes = field(got, "forward_modes", what="model modes")
    expect(len(modes) > 0 and all(mode == "train" for mode in modes),
           f"The model was given in eval mode and ran its forward passes in {_modes(modes)} "
           "mode; training needs training mode (batch norm uses the batch statistics).",
           "call model.train() at the start of train_one_epoch.")
    assert_close(field(got, "buffers", what="batch-norm statistics"), want["buffers"],
                 what="The batch-norm running statistics after one epoch",
                 hint="run the model exactly once per batch, in training mode.")


def _modes(modes: list[str]) -> str:
    seen = sorted(set(modes))
    return " and ".join(seen) if seen else "no"


def _train_val_args(rng: torch.Generator, seed: int, device: torch.device,
                    dtype: torch.dtype = torch.float32) -> dict[str, Any]:
    """A training set of 23 samples and a validation set of 11, for fit and resuming."""
    inputs, targets = _data(rng, 23, dtype=dtype)
    val_inputs, val_targets = _data(rng, 11, dtype=dtype)
    return {"inputs": inputs, "targets": targets, "val_inputs": val_inputs,
            "val_targets": val_targets, "seed": seed, "device": str(device)}


def _evaluate_args(rng: torch.Generator, seed: int, device: torch.device, with_grads: bool
                   ) -> dict[str, Any]:
    inputs, targets = _data(rng, 11)
    return {"inputs": inputs, "targets": targets, "batch_size": 4, "seed": seed,
            "with_grads": with_grads, "device": str(device)}


@check(points=2, part="evaluate")
def test_evaluate_loss(submission, reference, rng, seed, device):
    """evaluate runs in eval mode and returns the mean loss per sample as a float."""
    args = _evaluate_args(rng, seed, device, with_grads=False)
    got = submission.run(scenarios.evaluate, **args)
    want = reference.run(scenarios.evaluate, **args)
    modes = field(got, "forward_modes", what="model modes")
    expect(len(modes) > 0 and all(mode == "eval" for mode in modes),
           f"The model was given in training mode and evaluate ran it in {_modes(modes)} mode; "
           "with dropout and batch norm that gives a random, wrong loss.",
           "call model.eval() at the start of evaluate.")
    loss = field(got, "loss", what="evaluation loss")
    _expect_float(loss, "evaluate")
    assert_close(loss, want["loss"], hint=PER_SAMPLE, rtol=LOSS_RTOL,
                 what="The loss evaluate returned (11 samples in batches of 4, 4, 3)")


@check(points=2, part="evaluate")
def test_evaluate_changes_nothing(submission, rng, seed, device):
    """evaluate changes no parameter, no batch-norm statistic and no .grad."""
    for with_grads in (False, True):
        got = submission.run(scenarios.evaluate,
                             **_evaluate_args(rng, seed, device, with_grads=with_grads))
        expect(field(got, "parameters_unchanged", what="parameters") is True,
               "evaluate changed the model's parameters.",
               "evaluate must not call backward() or optimizer.step().")
        expect(got["buffers_unchanged"] is True,
               "evaluate changed the batch-norm running statistics.",
               "call model.eval() before the forward passes: in training mode batch norm "
               "updates its statistics.")
        before = "existing gradients" if with_grads else "no gradients (.grad None)"
        expect(got["grads_unchanged"] is True,
               f"The parameters had {before} before evaluate and different ones after it.",
               "evaluate must not call loss.backward(), zero_grad() or touch .grad.")


@check(points=1, part="evaluate")
def test_evaluate_no_grad(submission, rng, seed, device):
    """evaluate records no autograd graph (no_grad or inference_mode)."""
    got = submission.run(scenarios.evaluate, **_evaluate_args(rng, seed, device, False))
    tracked = field(got, "grad_enabled_in_forward", what="gradient modes")
    expect(len(tracked) > 0 and not any(tracked),
           f"evaluate ran {sum(tracked)} of {len(tracked)} forward passes with gradient "
           "tracking on, which builds a graph that is never used.",
           "wrap the loop in `with torch.no_grad():` (or torch.inference_mode()).")
    expect(not any(field(got, "loss_requires_grad", what="loss flags")),
           "A loss computed in evaluate requires grad, so it keeps an autograd graph alive.",
           "compute the model outputs and the loss inside `with torch.no_grad():`.")


@check(points=2, part="fit")
def test_fit_history(submission, reference, rng, seed, device):
    """fit returns one train and one validation loss per epoch."""
    args = {**_train_val_args(rng, seed, device), "epochs": 3}
    got = submission.run(scenarios.fit, **args)
    want = reference.run(scenarios.fit, **args)
    history = field(got, "history", what="history")
    attach_curves(title="The losses fit returned, per epoch", x_label="epoch",
                  y_label="mean loss per sample (MSE)", got=history, want=want["history"])
    expect(isinstance(history, dict),
           f"fit should return a dict but returned {history!r}.",
           'return {"train_loss": [...], "val_loss": [...]}.')
    assert_close(history, want["history"], what="The history fit returned for 3 epochs",
                 rtol=LOSS_RTOL,
                 hint="each epoch: append train_one_epoch(...) to history['train_loss'], then "
                      "evaluate(model, val_loader, ...) to history['val_loss'] (fit relies on "
                      "your train_one_epoch and evaluate: make their checks pass first).")
    assert_close(got["parameters"], want["parameters"],
                 what="The parameters after fit", hint="train exactly `epochs` epochs.")


@check(points=1, part="save_checkpoint")
def test_checkpoint_file(submission, rng, seed, device):
    """save_checkpoint writes epoch, model_state and optimizer_state."""
    inputs, targets = _data(rng, 13)
    got = submission.run(scenarios.checkpoint_file, inputs=inputs, targets=targets, seed=seed,
                         epoch=7, device=str(device))
    readable = field(got, "readable", what="checkpoint")
    expect(readable is True,
           f"torch.load(path, weights_only=True) cannot read the checkpoint ({readable}).",
           "torch.save a dict of plain values and state_dicts, not the model or the optimizer.")
    expect(got["keys"] == ["epoch", "model_state", "optimizer_state"],
           f"The checkpoint should hold the keys epoch, model_state and optimizer_state, "
           f"but holds {got['keys']}.",
           'save {"epoch": epoch, "model_state": ..., "optimizer_state": ...}.')
    assert_close(got["epoch"], 7, what="The saved epoch (save_checkpoint got epoch=7)",
                 hint="save the epoch you were given, unchanged.")
    expect(got["model_state_matches"] is True,
           "checkpoint['model_state'] is not the model's state_dict().",
           "save model.state_dict(): it holds the parameters and the batch-norm buffers.")
    expect(got["optimizer_state_matches"] is True,
           "checkpoint['optimizer_state'] is not the optimizer's state_dict().",
           "save optimizer.state_dict(): it holds Adam's moment estimates and step count.")


@check(points=2, part="load_checkpoint")
def test_checkpoint_resume(submission, reference, rng, seed, device):
    """Training resumed from a checkpoint continues exactly like uninterrupted training."""
    # Well conditioned on every machine: float64 data and model (only the student's
    # save/load runs, which is dtype-agnostic); no parameter whose gradient is zero in
    # exact arithmetic; SGD with momentum, whose update is proportional to the gradient
    # (Adam scales rounding noise up to full steps) and whose momentum buffers are the
    # optimizer state a resume must restore.
    args = {**_train_val_args(rng, seed, device, torch.float64), "kind": "normalized",
            "optimizer": "sgd"}
    got = submission.run(scenarios.checkpoint_resume, **args)
    want = reference.run(scenarios.checkpoint_resume, **args)
    assert_close(field(got, "epoch", what="epoch"), want["epoch"],
                 what="The epoch load_checkpoint returned (the checkpoint was saved with "
                      "epoch=2)", hint="return checkpoint['epoch'] as it was saved.")
    hint = ("restore both states into the model and optimizer you were given: "
            "model.load_state_dict(checkpoint['model_state']) and "
            "optimizer.load_state_dict(checkpoint['optimizer_state']); without the "
            "optimizer state, momentum restarts from zero.")
    for key, what in (("parameters", "The parameters after resuming for one more epoch"),
                      ("buffers", "The batch-norm statistics after resuming"),
                      ("train_loss", "The training loss of the epoch after resuming"),
                      ("val_loss", "The validation loss after resuming")):
        assert_close(field(got, key, what=key), want[key], hint=hint,
                     what=f"{what} (compared with 3 epochs without interruption)")


@check(points=2, part="evaluate")
def test_device(submission, rng, seed, device):
    """train_one_epoch and evaluate move inputs and targets to the given device."""
    inputs, targets = _data(rng, 13)
    stand_in = f"{device.type}:{device.index or 0}"
    got = submission.run(scenarios.device_moves, inputs=inputs, targets=targets, seed=seed,
                         device=stand_in)
    hint = ("move each batch with inputs = inputs.to(device) and targets = targets.to(device) "
            "(.to returns a moved copy: use it), with the device argument; never hard-code "
            "'cpu', 'cuda' or .cuda().")
    for function in ("train_one_epoch", "evaluate"):
        moves = field(got, function, what=f"device moves of {function}")
        expect(moves["batches"] > 0, f"{function} did not go through the loader.", hint)
        expect(not moves["elsewhere"],
               f"{function} was given device={stand_in!r} (standing in for an accelerator) but "
               f"moved the batch to {', '.join(map(repr, moves['elsewhere']))}.", hint)
        expect(moves["inputs_moved"] is True,
               f"{function} did not give the model the inputs of every batch moved to the "
               f"device it was given ({stand_in!r}).", hint)
        expect(moves["targets_moved"] is True,
               f"{function} did not give the loss the targets moved to the device "
               f"({stand_in!r}); the loss needs outputs and targets on the same device.", hint)
