"""The sandbox: a warm zygote forks one isolated process per submission file (see DESIGN.md)."""
