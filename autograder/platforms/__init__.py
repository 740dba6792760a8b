"""Integrations with the platforms that run torchgrade for a course.

:mod:`.gradescope`: the autograder ``.zip`` for Gradescope programming
assignments, and the ``results.json`` it writes.
"""
