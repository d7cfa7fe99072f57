"""Commands to paste: how to spell ``dsr`` so that the line works in the user's shell.

After ``just demo`` (or ``pip install -e .`` into a virtualenv that is not activated) the
``dsr`` script lives in ``.venv/bin`` and a pasted ``dsr ...`` answers "command not found".
So the sandbox banner and the demo's closing hint name the script they can see:

=======================================  ==============================================
Situation                                What is printed
=======================================  ==============================================
``dsr`` on ``PATH`` is this very script  ``dsr``
the script is under the current folder   its relative path, e.g. ``.venv/bin/dsr``
the script is elsewhere                  its absolute path
no script beside this Python             ``dsr`` (installed some other way)
=======================================  ==============================================
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["dsr_program", "sandbox_commands", "workspace_commands"]


def dsr_program() -> str:
    """How to call ``dsr`` from the current directory (see the module table)."""
    script = Path(sys.executable).parent / ("dsr.exe" if os.name == "nt" else "dsr")
    if not script.is_file():
        return "dsr"
    found = shutil.which("dsr")
    if found is not None and Path(found).resolve() == script.resolve():
        return "dsr"
    try:
        return shlex.quote(str(script.absolute().relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(script.absolute()))


def sandbox_commands(base_url: str, token: str, email: str) -> tuple[str, ...]:
    """Shell lines that look ``email`` up in the sandbox at ``base_url``, ready to paste."""
    lookup = f"--base-url {shlex.quote(base_url)} --email {shlex.quote(email)}"
    return (
        f"export INTERCOM_ACCESS_TOKEN={shlex.quote(token)}",
        f"{dsr_program()} intercom lookup {lookup}",
    )


def workspace_commands(
    path: str, tokens: Sequence[tuple[str, str]], email: str, external_id: str
) -> tuple[str, ...]:
    """Shell lines that look a person up in every workspace of the workspaces file ``path``.

    Args:
        path: The workspaces file.
        tokens: (environment variable, token) for each workspace of the file.
        email: An address held in one workspace.
        external_id: An external id held in every workspace.
    """
    every = f"--workspaces {shlex.quote(path)} --all-workspaces"
    return (
        *(f"export {variable}={shlex.quote(token)}" for variable, token in tokens),
        f"{dsr_program()} intercom lookup {every} --email {shlex.quote(email)}",
        f"{dsr_program()} intercom lookup {every} --external-id {shlex.quote(external_id)}",
    )
