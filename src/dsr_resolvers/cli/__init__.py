"""The ``dsr`` command line: data-subject requests for Intercom from a shell or a cron job.

``dsr intercom lookup|export|erase|verify|rectify|surface`` answer one request;
``dsr intercom bulk erase|export`` work through a file of thousands, resumably;
``dsr sandbox`` serves a fake workspace to try them on, and ``dsr demo`` runs a whole request
against one with no credentials. See ``docs/cli.md``.

The command line needs the ``cli`` extra (``pip install 'dsr-resolvers[cli]'``: Typer, Rich,
pydantic-settings); the library itself does not.
"""

try:
    from dsr_resolvers.cli._app import app
except ModuleNotFoundError as missing:  # pragma: no cover - depends on the installation
    if missing.name not in ("typer", "rich", "pydantic_settings"):
        raise
    raise ModuleNotFoundError(
        f"the dsr command line needs {missing.name}: pip install 'dsr-resolvers[cli]'",
        name=missing.name,
    ) from None

from dsr_resolvers.cli._errors import ExitCode, terminate_as_interrupt

__all__ = ["app", "main"]


def main() -> int:
    """The ``dsr`` console script: SIGTERM stops a command as gracefully as Ctrl-C (exit 143)."""
    with terminate_as_interrupt():
        try:
            app(prog_name="dsr")
        except SystemExit as exit_:
            return exit_.code if isinstance(exit_.code, int) else ExitCode.FAILED
    return ExitCode.OK
