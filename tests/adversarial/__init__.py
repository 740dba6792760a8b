"""Hostile submissions graded in one batch, and what must hold afterwards (SECURITY.md)."""
