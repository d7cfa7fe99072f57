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

# Benchmarks (loopback only; prints tables, asserts nothing about time).
bench: setup
    {{py}} benchmarks/bench_client_reuse.py
