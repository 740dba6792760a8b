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
)
