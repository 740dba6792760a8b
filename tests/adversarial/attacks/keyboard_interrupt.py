# target: 01_manual_autograd
# base: solution
# expect: error
"""Raises ``KeyboardInterrupt`` inside ``train``, as if the grader had been stopped by hand.

A Ctrl-C raised by student code is the student's error (status
``error``); it must not stop the judge or the batch.
"""


def train(x, y, w1, w2, lr, iterations):
    raise KeyboardInterrupt
