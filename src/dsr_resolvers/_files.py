"""Atomic files: a reader (or a resumed run) sees a whole file or no file, never half of one.

Exports, bulk export files and bulk reports hold personal data or audit records, and a run can
be killed at any instant. Writing in place would leave a truncated file that looks complete
(an Art. 15 answer must be complete for what it declares). This is the one helper that writes
such files, for the library and the command line alike:

| step                                   | why                                                  |
|----------------------------------------|------------------------------------------------------|
| write to ``.<name>.<random>.tmp`` in   | rename is atomic only within one filesystem          |
| the target's directory, mode 0600      | the content is personal data: owner only, from the   |
|                                        | first byte                                           |
| flush and fsync, then rename over the  | a reader sees the old file or the new one, whole     |
| target, then fsync the directory       | the rename itself survives a power cut               |
| any failure (a full disk, a kill)      | the temporary file is removed; the target untouched  |

Directories made for such files (an export folder, a receipts folder, and any parent they
need) are owner-only, 0700 whatever the umask: ``make_private_directory``.

Content is written as it is produced (``chunks``), so a report of a million subjects never has
to be held in memory whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "make_private_directory",
    "write_atomically",
    "write_json_atomically",
    "write_text_atomically",
]


def write_atomically(path: Path, chunks: Iterable[bytes]) -> None:
    """Write the concatenated ``chunks`` to ``path`` so that a reader sees all or nothing.

    Args:
        path: The file to create or replace; its directory must exist.
        chunks: The content, in order; consumed once, as it is written.

    Raises:
        OSError: The directory is missing or not writable, or the disk is full; the target
            is left as it was and no temporary file remains.
    """
    directory = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # platforms or filesystems without directory fsync
        directory_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_fd)
        finally:
            os.close(directory_fd)


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path``, atomically, readable by the owner only."""
    write_atomically(path, (text.encode(),))


def write_json_atomically(path: Path, payload: object) -> None:
    """Write ``payload`` as indented JSON to ``path``, atomically, readable by the owner only."""
    text = json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True)
    write_atomically(path, (text.encode(),))


def make_private_directory(path: Path) -> None:
    """Create ``path`` and any missing parent as owner-only directories (0700, any umask).

    Directories that already exist are left as they are.

    Raises:
        OSError: A component cannot be created (a file in the way, no permission).
    """
    missing = []
    current = path
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by someone else: theirs
            directory.mkdir(mode=0o700)
            os.chmod(directory, 0o700)  # mkdir's mode passes through the umask
