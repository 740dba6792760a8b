"""Mistakes in 05_training_loop: the loop's steps, averaging, modes, devices, checkpoints."""

from __future__ import annotations

from autograder.catalogue import Mistake, Replace, fails

A = "05_training_loop"

TRAIN_MOVE = ("        inputs, targets = inputs.to(device), targets.to(device)\n"
              "        optimizer.zero_grad()\n")
TRAIN_SUM = """        total_loss += loss.item() * len(inputs)
        num_samples += len(inputs)
    return total_loss / num_samples if num_samples else float("nan")
    ### END SOLUTION


def evaluate("""
EVAL_LOOP = """    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            loss = loss_fn(model(inputs), targets)
"""
EVAL_LOOP_TRACKED = """    if True:
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            loss = loss_fn(model(inputs), targets)
"""

MISTAKES = [
    Mistake(
        name="no_zero_grad", assignment=A,
        edits=(Replace("        optimizer.zero_grad()\n", ""),),
        # checkpoint_resume compares the submission with itself, so it still passes.
        fails=fails(A, "train_parameters", "gradients_zeroed", "fit_history"),
        feedback="gradients of earlier batches were still there",
        forbidden_hints=("never between backward() and step()",)),
    Mistake(
        name="mean_over_batches", assignment=A,
        edits=(Replace(TRAIN_SUM, TRAIN_SUM.replace("loss.item() * len(inputs)", "loss.item()")
                       .replace("num_samples += len(inputs)", "num_samples += 1")),),
        fails=fails(A, "train_loss_per_sample", "fit_history"),
        feedback="smaller last batch",
        forbidden_hints=("Python float",)),
    Mistake(
        name="total_keeps_graph", assignment=A,
        edits=(Replace(TRAIN_SUM, TRAIN_SUM.replace("loss.item() * len(inputs)",
                                                    "loss * len(inputs)")),),
        fails=fails(A, "train_loss_per_sample", "fit_history"),
        feedback="should return a Python float but returned a tensor",
        forbidden_hints=("smaller last batch",)),
    Mistake(
        name="no_model_train", assignment=A,
        edits=(Replace("    model.train()\n", ""),),
        fails=fails(A, "train_mode"),
        feedback="model.train()",
        forbidden_hints=("model.eval()",)),
    Mistake(
        name="no_model_eval", assignment=A,
        edits=(Replace("    model.eval()\n", ""),),
        fails=fails(A, "evaluate_loss", "evaluate_changes_nothing"),
        feedback="model.eval()",
        forbidden_hints=("wrap the loop in `with torch.no_grad()",)),
    Mistake(
        name="evaluate_tracks_gradients", assignment=A,
        edits=(Replace(EVAL_LOOP, EVAL_LOOP_TRACKED),),
        fails=fails(A, "evaluate_no_grad"),
        feedback="torch.no_grad()",
        forbidden_hints=("model.eval()",)),
    Mistake(
        name="device_only_inputs_moved", assignment=A,
        edits=(Replace(TRAIN_MOVE, "        inputs = inputs.to(device)\n"
                                   "        optimizer.zero_grad()\n"),),
        fails=fails(A, "device"),
        feedback="did not give the loss the targets moved",
        forbidden_hints=("moved the batch to",)),
    Mistake(
        name="device_hard_coded_cpu", assignment=A,
        edits=(Replace(TRAIN_MOVE, '        inputs, targets = inputs.to("cpu"), targets.to("cpu")\n'
                                   "        optimizer.zero_grad()\n"),),
        fails=fails(A, "device"),
        feedback="moved the batch to 'cpu'",
        forbidden_hints=("did not give the loss the targets",)),
    Mistake(
        name="device_cuda_call", assignment=A,
        edits=(Replace(TRAIN_MOVE, "        inputs, targets = inputs.cuda(), targets.cuda()\n"
                                   "        optimizer.zero_grad()\n"),),
        # No CUDA here: .cuda() raises wherever train_one_epoch runs.
        fails=fails(A, "train_loss_per_sample", "train_parameters", "gradients_zeroed",
                    "train_mode", "fit_history", "device"),
        feedback="moved the batch to 'cuda'"),
    Mistake(
        name="checkpoint_without_optimizer", assignment=A,
        edits=(Replace('        "optimizer_state": optimizer.state_dict(),\n', ""),
               Replace('    optimizer.load_state_dict(checkpoint["optimizer_state"])\n', "")),
        fails=fails(A, "checkpoint_file", "checkpoint_resume"),
        feedback="but holds ['epoch', 'model_state']"),
    Mistake(
        name="checkpoint_optimizer_not_restored", assignment=A,
        edits=(Replace('    optimizer.load_state_dict(checkpoint["optimizer_state"])\n', ""),),
        fails=fails(A, "checkpoint_resume"),
        feedback="momentum restarts from zero",
        forbidden_hints=("The checkpoint should hold the keys",)),
]
