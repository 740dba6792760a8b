"""Training loop: train, evaluate, fit and checkpoints"""

from __future__ import annotations

from autograder.registry import Assignment

ASSIGNMENT = Assignment(
    name="05_training_loop",
    module="training_loop",
    title="Training loop: train, evaluate, fit and checkpoints",
    package=__name__,
    goals=(
        "Write one training epoch: train(), zero_grad, forward, backward, step.",
        "Evaluate without gradients in eval() mode and average the loss per sample.",
        "Save and restore model and optimizer state so training resumes exactly.",
        "Move inputs and targets to the device you are given, never a hard-coded one.",
    ),
    hints=(
        "Call `model.train()` before training and `model.eval()` before evaluating: "
        "dropout and batch norm behave differently in each mode.",
        "Per batch: `zero_grad()`, forward, loss, `backward()`, `step()`. Without "
        "`zero_grad()` each batch adds its gradient to those of the batches before.",
        "Evaluate inside `with torch.no_grad():` (or `torch.inference_mode()`): no "
        "graph is recorded and nothing can train by accident.",
        "Average per sample: sum `loss.item() * batch_size` over the batches and divide "
        "by the number of samples, since the last batch may be smaller.",
        "A checkpoint needs `model.state_dict()` and `optimizer.state_dict()` (momentum "
        "and Adam's moments live in the optimizer); move inputs and targets to `device` "
        "yourself.",
    ),
)
