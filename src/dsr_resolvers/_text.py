"""One rule for text a person typed: email addresses and input lines.

Every path that takes an address (``find_contacts(email=...)``, the ``dsr`` commands, the bulk
engine's input files) goes through :func:`normalize_email`, so an address finds the same
contacts however it reached the library.

| input                                                  | result                      |
|--------------------------------------------------------|-----------------------------|
| surrounding whitespace                                 | stripped                    |
| whitespace inside                                      | ``ValueError``              |
| a control or format character (Cc/Cf: BOM, ZWSP, NUL)  | ``ValueError``              |
| no ``@``, or nothing before or after it                | ``ValueError``              |
| anything else                                          | returned, letter case kept  |

Letter case is kept: how Intercom's search treats it is undocumented, so the resolver searches
the address as given *and* lower-cased. Errors never repeat the address.
"""

from __future__ import annotations

import unicodedata

__all__ = ["hidden_character", "normalize_email"]

_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf"})


def hidden_character(text: str) -> int | None:
    """The index of the first control or invisible format character in ``text``, if any.

    Tab, line feed and carriage return count too: they have no place inside one value.
    """
    for index, character in enumerate(text):
        if unicodedata.category(character) in _HIDDEN_CATEGORIES:
            return index
    return None


def normalize_email(email: str) -> str:
    """The address with surrounding whitespace removed; raises on anything unusable.

    Args:
        email: An email address as typed or read from a file.

    Returns:
        The address, stripped of surrounding whitespace, in the letter case given.

    Raises:
        ValueError: Whitespace inside, a control or invisible character (a byte-order mark,
            a zero-width space, NUL, ...), or not of the form ``local@domain``. The message
            names the problem and its position, never the address.
    """
    text = email.strip()
    position = hidden_character(text)
    if position is not None:
        name = unicodedata.name(text[position], f"U+{ord(text[position]):04X}")
        raise ValueError(
            f"the email address holds an invisible or control character ({name}) at position"
            f" {position + 1}; retype it"
        )
    if any(character.isspace() for character in text):
        raise ValueError("the email address holds whitespace inside it")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("not an email address (expected local@domain)")
    return text
