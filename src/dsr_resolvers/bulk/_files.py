"""Atomic files: a reader (or a resumed run) sees a whole file or no file, never half of one.

Bulk export writes one JSON file per subject, and a run can be killed at any instant. Writing
in place would leave a truncated export that looks like a complete one (an Art. 15 answer
must be complete for what it declares). Every file is therefore written to a temporary name in
the same directory, flushed to disk, and renamed over its final name: rename is atomic within
a filesystem. Temporary files are created readable by the owner only, since exports hold
personal data, and their names start with ``.tmp-`` so a leftover from a kill is easy to spot.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["write_json_atomically"]


def write_json_atomically(path: Path, payload: object) -> None:
    """Write ``payload`` as JSON to ``path`` so that a reader sees all of it or none of it.

    The bytes go to a temporary file in the same directory (created 0600), are flushed to
    disk, and the file is renamed over ``path``; the directory is then synced so the rename
    itself survives a power cut.
    """
    data = json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True).encode()
    directory = path.parent
    fd, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - filesystems that refuse fsync on directories
        pass
    finally:
        os.close(fd)
