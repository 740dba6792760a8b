"""Correct alternatives for 05_training_loop."""

from __future__ import annotations

from autograder.catalogue import Alternative, Replace, Solution

A = "05_training_loop"

STEP = """        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
"""

ALTERNATIVES = [
    # Values read on the device each batch (SPEC §2: legitimate on any device).
    Alternative(
        name="reads_values", assignment=A,
        why="bool(torch.isfinite(loss)) guard, .tolist() and float(loss), int batch sizes",
        edits=(Solution("train_one_epoch", """
model.train()
losses, sizes = [], []
for inputs, targets in loader:
    inputs = inputs.to(device, non_blocking=True)
    targets = targets.to(device, non_blocking=True)
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    if not bool(torch.isfinite(loss)):
        raise FloatingPointError(f"the loss is {loss.item()}")
    loss.backward()
    optimizer.step()
    losses.append(loss.detach().cpu().tolist())
    sizes.append(int(targets.shape[0]))
return sum(value * size for value, size in zip(losses, sizes)) / sum(sizes)
"""), Solution("evaluate", """
model.eval()
total, count = 0.0, 0
with torch.no_grad():
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        total += float(loss_fn(model(inputs), targets)) * inputs.size(0)
        count += inputs.size(0)
return total / count
"""))),
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
