# target: 01_manual_autograd
# base: solution
# expect: error
"""Raises its own ``BaseException`` subclasses, past any ``except Exception``.

``train`` raises a ``GeneratorExit`` of its own, then, while that one
unwinds, a ``BaseException`` whose ``__str__`` raises it again, so that
even describing the error fails. It ends that check with ``error``;
nothing else notices.
"""


class _Halt(BaseException):
    def __str__(self):
        raise _Halt()


class _Quiet(GeneratorExit):
    pass


def train(x, y, w1, w2, lr, iterations):
    try:
        raise _Quiet("be quiet")
    finally:
        raise _Halt()
