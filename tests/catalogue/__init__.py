"""This checkout's catalogue of realistic submissions (see :mod:`autograder.catalogue`).

``mistakes/`` holds wrong variants of the reference that must lose points,
``alternatives/`` correct ones that must get full marks, ``zeros/`` a
submission of zeros of the right shapes. ``tests/test_catalogue.py`` and
``torchgrade validate`` grade them all.
"""
