"""The secret behind the journal's keyed hashes, and the hashes themselves.

The journal must let a run resume and let an auditor check "was this person processed?",
without itself revealing who was processed. It therefore stores, for each input line, an
HMAC-SHA256 of the normalised line under a secret key, never the line. A plain hash would not
do: email addresses are guessable, so anyone holding the journal could hash a list of
candidates and look them up. With a keyed hash, that dictionary attack needs the key too.

Where the key comes from, first match wins:

| source                          | why                                                      |
|---------------------------------|----------------------------------------------------------|
| ``secret=`` given by the caller | explicit configuration, e.g. from a secrets manager      |
| ``DSR_JOURNAL_KEY`` environment | one key for many journals, kept apart from them (a       |
|                                 | backup of the journal's directory then lacks the key)    |
| a key file beside the journal   | ``<journal>.key``: 32 random bytes, created with the     |
|                                 | journal, owner-only, exclusively (``Journal(key=None)``) |

The Intercom access token is *not* a source: a revoked or rotated token must not lock an
operator out of the journal that records what the old one did. The key file travels with the
journal, so whoever copies both can run the dictionary attack; keep the directory private, or
set ``DSR_JOURNAL_KEY`` and keep the key elsewhere.

Whatever the source, the key is derived with HMAC under a fixed label, so the journal never
holds the secret. The journal stores a check value (an HMAC of a fixed text) so that resuming
with a different key fails loudly instead of treating every line as new.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Final

__all__ = ["JOURNAL_KEY_ENV", "derive_key", "journal_key", "keyed_hash"]

JOURNAL_KEY_ENV: Final = "DSR_JOURNAL_KEY"
"""The environment variable :func:`journal_key` reads."""

_DERIVATION_LABEL: Final = b"dsr-resolvers/bulk/journal-key/v1"
_CHECK_LABEL: Final = "dsr-resolvers/bulk/key-check/v1"


def journal_key(
    *,
    secret: str | bytes | None = None,
    environ: Mapping[str, str] | None = None,
) -> bytes | None:
    """The 32-byte key of a journal's keyed hashes, from ``secret`` or ``DSR_JOURNAL_KEY``.

    Args:
        secret: An explicit secret; wins over the environment.
        environ: Where to look for ``DSR_JOURNAL_KEY``; defaults to ``os.environ``.

    Returns:
        A key derived from the first source found, or ``None`` when there is none: a
        :class:`Journal` given ``key=None`` then uses the key file beside it. The same source
        gives the same key, so a resumed run finds its journal rows again.

    Raises:
        ValueError: An explicit secret that is empty.

    Example:
        >>> len(journal_key(secret="correct horse battery staple"))
        32
    """
    env = os.environ if environ is None else environ
    source: str | bytes | None = secret
    if source is None:
        source = env.get(JOURNAL_KEY_ENV) or None
    if source is None:
        return None
    material = source.encode() if isinstance(source, str) else source
    if not material:
        raise ValueError("the journal key source is empty")
    return derive_key(material)


def derive_key(material: bytes) -> bytes:
    """The journal key derived from secret ``material`` (HMAC under a fixed label)."""
    return hmac.new(material, _DERIVATION_LABEL, hashlib.sha256).digest()


def keyed_hash(key: bytes, text: str) -> str:
    """HMAC-SHA256 of ``text`` under ``key``, as 64 lower-case hex digits."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def key_check(key: bytes) -> str:
    """A value that identifies ``key`` without revealing it; stored in the journal."""
    return keyed_hash(key, _CHECK_LABEL)
