# target: 01_manual_autograd
# base: solution
# expect: timeout
"""Loops forever inside ``train``.

The call's time limit ends it (status ``timeout``, saying where it hung);
the batch goes on.
"""


def train(x, y, w1, w2, lr, iterations):
    losses = []
    while True:
        losses.append(0.0)
        losses.clear()
