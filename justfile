# dsr-resolvers task runner. `just test` is what CI runs.

set shell := ["bash", "-euo", "pipefail", "-c"]

venv := ".venv"
py := venv / "bin/python"

# List the recipes.
default:
    @just --list

# Create the virtualenv and install the package with every extra the tasks need.
setup:
    test -x {{py}} || python3 -m venv {{venv}}
    {{py}} -m pip install --quiet --upgrade pip
    {{py}} -m pip install --quiet -e '.[dev]'

# Lint, format check, strict typing and the whole test suite.
test: setup lint
    {{py}} -m pytest -q

# ruff check, ruff format --check and mypy --strict on src and tests.
lint:
    {{venv}}/bin/ruff check src tests benchmarks
    {{venv}}/bin/ruff format --check src tests benchmarks
    {{venv}}/bin/mypy --strict src tests

# Format the code and apply safe lint fixes.
fmt:
    {{venv}}/bin/ruff check --fix src tests benchmarks
    {{venv}}/bin/ruff format src tests benchmarks

# Benchmarks (loopback only, bounded; print tables, assert nothing about time).
# Figures and how to read them: docs/performance.md. `just bench --quick` for a short run.
bench *args: setup
    {{py}} benchmarks/bench_client_reuse.py
    {{py}} benchmarks/bench_export.py {{args}}
    {{py}} benchmarks/bench_bulk.py {{args}}
