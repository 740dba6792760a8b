"""The assignments: one subpackage each, discovered by :mod:`autograder.registry`."""
