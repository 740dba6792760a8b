# Bob's training loop. Mistakes: averages batch losses instead of samples, and
# never calls model.train() / model.eval().
import torch


def train_one_epoch(model, loader, loss_fn, optimizer, device):
    losses = []
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs.to(device)), targets.to(device))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def evaluate(model, loader, loss_fn, device):
    losses = []
    with torch.no_grad():
        for inputs, targets in loader:
            losses.append(loss_fn(model(inputs.to(device)), targets.to(device)).item())
    return sum(losses) / len(losses)


def fit(model, train_loader, val_loader, loss_fn, optimizer, device, epochs):
    train_loss, val_loss = [], []
    for _ in range(epochs):
        train_loss.append(train_one_epoch(model, train_loader, loss_fn, optimizer, device))
        val_loss.append(evaluate(model, val_loader, loss_fn, device))
    return {"train_loss": train_loss, "val_loss": val_loss}


def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"epoch": epoch, "model_state": model.state_dict(),
                "optimizer_state": optimizer.state_dict()}, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model_state"])
    optimizer.load_state_dict(checkpoint["optimizer_state"])
    return checkpoint["epoch"]
