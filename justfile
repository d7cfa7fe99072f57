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

# Lint, format check, strict typing, the docs build and the whole test suite.
test: setup lint docs
    {{py}} -m pytest -q

# A whole request (lookup, export, erase, verify) against a built-in sandbox; no credentials.
demo: setup
    {{venv}}/bin/dsr demo

# Build the documentation site into site/ (--strict: any warning fails it).
docs: setup
    NO_MKDOCS_2_WARNING=1 {{venv}}/bin/mkdocs build --strict

# ruff check, ruff format --check (code and the Python in README and docs), mypy --strict.
lint:
    {{venv}}/bin/ruff check src tests benchmarks docs/_ext
    {{venv}}/bin/ruff format --check src tests benchmarks docs README.md
    {{venv}}/bin/mypy --strict src tests docs/_ext

# Format the code and apply safe lint fixes.
fmt:
    {{venv}}/bin/ruff check --fix src tests benchmarks docs/_ext
    {{venv}}/bin/ruff format src tests benchmarks docs README.md

# Figures and how to read them are in docs/performance.md; `just bench --quick` is short.
# Benchmarks on loopback only, bounded; they print tables and assert nothing about time.
bench *args: setup
    {{py}} benchmarks/bench_client_reuse.py
    {{py}} benchmarks/bench_export.py {{args}}
    {{py}} benchmarks/bench_bulk.py {{args}}
    {{py}} benchmarks/bench_bulk_memory.py {{args}}

# Not part of `just test`: about 8 minutes on 2 CPUs; score and survivors in PROOFS.md.
# Mutation testing (mutmut) of the Intercom plugin and the contract.
mutate: setup
    rm -rf mutants
    DSR_INTERCOM_OPENAPI={{justfile_directory()}}/../shared/intercom-openapi/api.intercom.io.2.14.yaml {{venv}}/bin/mutmut run
    {{venv}}/bin/mutmut results
