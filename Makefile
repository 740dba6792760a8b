# torchgrade: two commands for a newcomer.
#   make demo   set up .venv, then grade the bundled example class (out/demo/)
#   make test   set up .venv, then run the test suite
# Set-up pins the CPU build of torch (constraints/cpu.txt): an unpinned torch
# would make pip download a CUDA build of several GB.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH_CONSTRAINTS := constraints/cpu.txt

.PHONY: demo test venv lint stubs release bundles bench clean

demo: $(STAMP)
	$(BIN)/torchgrade grade examples/submissions --out out/demo

test: $(STAMP)
	$(BIN)/python -m pytest

venv: $(STAMP)

# PYTHONWARNINGS: setuptools' notice that autograder/ sits in the working
# directory is what an editable install of this layout expects.
$(STAMP): pyproject.toml $(TORCH_CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS="ignore:Editable installation" \
		$(BIN)/python -m pip install --quiet -c $(TORCH_CONSTRAINTS) -e ".[dev]"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check autograder tests benchmarks
	$(BIN)/mypy

stubs: $(STAMP)
	$(BIN)/torchgrade release --stubs assignments

release: $(STAMP)
	$(BIN)/torchgrade release --stubs assignments --snapshots --docs docs/checks.md \
		--workflows docs/github-actions

# The two bundles to hand out (dist/ is ignored by git): students get dist/student,
# instructors and grading machines dist/grader. Re-running replaces them whole.
bundles: $(STAMP)
	$(BIN)/torchgrade release --student dist/student --grader dist/grader

bench: $(STAMP)
	$(BIN)/python benchmarks/grade_one.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
