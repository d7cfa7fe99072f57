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

# The virtualenv with the package and the CLI only: what `just demo` and `just dsr` need.
setup-cli:
    @test -x {{py}} || python3 -m venv {{venv}}
    @test -x {{venv}}/bin/dsr || {{py}} -m pip install --quiet --disable-pip-version-check -e '.[cli]'

# Lint, format check, strict typing, the docs build and the whole test suite.
test: setup lint docs
    {{py}} -m pytest -q

# A whole request (lookup, export, erase, verify) against a built-in sandbox; no credentials.
demo: setup-cli
    {{venv}}/bin/dsr demo

# Run the `dsr` command from the virtualenv, e.g. `just dsr intercom check --help`.
[no-exit-message]
[positional-arguments]
dsr *args: setup-cli
    @{{venv}}/bin/dsr "$@"

# Build the documentation site into site/ (--strict: any warning fails it).
docs: setup
    NO_MKDOCS_2_WARNING=1 {{venv}}/bin/mkdocs build --strict

# ruff check, ruff format --check (code and the Python in README and docs), mypy --strict.
lint:
    {{venv}}/bin/ruff check src tests benchmarks scripts docs/_ext
    {{venv}}/bin/ruff format --check src tests benchmarks scripts docs README.md
    {{venv}}/bin/mypy --strict src tests scripts docs/_ext

# Format the code and apply safe lint fixes.
fmt:
    {{venv}}/bin/ruff check --fix src tests benchmarks scripts docs/_ext
    {{venv}}/bin/ruff format src tests benchmarks scripts docs README.md

# Refresh tests/data/intercom-openapi/ from Intercom's full description (default: ../shared/...).
openapi-subset *source: setup
    {{py}} scripts/openapi_subset.py {{source}}

# Figures and how to read them are in docs/performance.md; `just bench --quick` is short.
# Benchmarks on loopback only, bounded; they print tables and assert nothing about time.
bench *args: setup
    {{py}} benchmarks/bench_client_reuse.py
    {{py}} benchmarks/bench_requests.py
    {{py}} benchmarks/bench_export.py {{args}}
    {{py}} benchmarks/bench_in_flight.py {{args}}
    {{py}} benchmarks/bench_bulk.py {{args}}
    {{py}} benchmarks/bench_pacing.py {{args}}
    {{py}} benchmarks/bench_workspaces.py {{args}}
    {{py}} benchmarks/bench_cli_result.py
    {{py}} benchmarks/bench_startup.py {{args}}
    {{py}} benchmarks/bench_report.py {{args}}
    {{py}} benchmarks/bench_bulk_memory.py {{args}}

# Not part of `just test`: about 8 minutes on 2 CPUs; score and survivors in PROOFS.md.
# Mutation testing (mutmut) of the Intercom plugin and the contract.
mutate: setup
    rm -rf mutants
    DSR_INTERCOM_OPENAPI={{justfile_directory()}}/tests/data/intercom-openapi/api.intercom.io.2.14.subset.json {{venv}}/bin/mutmut run
    {{venv}}/bin/mutmut results
