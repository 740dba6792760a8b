"""Correct alternatives for 05_training_loop."""

from __future__ import annotations

from autograder.catalogue import Alternative, Replace

A = "05_training_loop"

STEP = """        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
"""

ALTERNATIVES = [
    Alternative(
        name="inference_mode", assignment=A, why="torch.inference_mode() in evaluate",
        edits=(Replace("    with torch.no_grad():\n", "    with torch.inference_mode():\n"),)),
    Alternative(
        name="zero_grad_after_step_set_to_none", assignment=A,
        why="zero_grad(set_to_none=True) right after step()",
        edits=(Replace(STEP, """        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
"""),)),
    Alternative(
        name="dataset_length_average", assignment=A,
        why="tensor accumulation of detached losses divided by len(loader.dataset)",
        edits=(Replace("""        total_loss += loss.item() * len(inputs)
        num_samples += len(inputs)
    return total_loss / num_samples if num_samples else float("nan")
    ### END SOLUTION


def evaluate(""", """        total_loss = total_loss + loss.detach() * targets.size(0)
        num_samples += targets.size(0)
    return float(total_loss / len(loader.dataset))
    ### END SOLUTION


def evaluate("""),)),
]
