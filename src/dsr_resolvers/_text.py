"""One rule for each identifier a person typed: email, phone, external id, contact id.

Every path that takes an identifier (``find_contacts``, the ``dsr`` commands, the bulk engine's
input files) goes through the rule here, so an identifier finds the same contacts however it
reached the library, and a malformed one is refused before any request, wherever it was typed.

Email addresses (:func:`normalize_email`):

| input                                                  | result                      |
|--------------------------------------------------------|-----------------------------|
| surrounding whitespace                                 | stripped                    |
| whitespace inside                                      | ``ValueError``              |
| a control or format character (Cc/Cf: BOM, ZWSP, NUL)  | ``ValueError``              |
| no ``@``, or nothing before or after it                | ``ValueError``              |
| one of ``, ; < > ( ) [ ] \\ "`` or a second ``@``      | ``ValueError`` (a list or a |
| (a quoted local part aside)                            | display name, not an address)|
| anything else                                          | returned, letter case kept  |

Letter case is kept: how Intercom's search treats it is undocumented, so the resolver searches
the address as given *and* lower-cased.

Phone numbers (:func:`normalize_phone`), as people type them:

| input                                                  | result                      |
|--------------------------------------------------------|-----------------------------|
| surrounding whitespace                                 | stripped                    |
| spaces, ``-``, ``.``, ``/``, ``(``, ``)`` between digits | kept in ``typed``, dropped  |
|                                                        | in ``compact``              |
| a leading ``+`` (also ``(+44)``) or ``00``             | international: ``compact`` is |
|                                                        | E.164, ``+`` and the digits |
| no international prefix                                | ``compact`` is the digits   |
| a letter (``ext. 12``), a control or format character, | ``ValueError``              |
| any other sign, a ``+`` not at the start, a digit      |                             |
| outside 0-9                                            |                             |
| fewer than 6 or more than 15 digits                    | ``ValueError``              |

How Intercom stores a phone is undocumented (its calls report E.164), so the resolver searches
the typed form and the compact (E.164) form.

External ids (:func:`normalize_external_id`): surrounding whitespace stripped; empty, or a
control or format character inside: ``ValueError``; otherwise kept exactly.

Contact ids (:func:`plausible_contact_id`): letters, digits, ``-`` and ``_``, 1 to 255 of them;
anything else (a path such as ``../../admin``, whitespace, an email) is never sent.

Errors never repeat the identifier.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "PhoneNumber",
    "hidden_character",
    "normalize_email",
    "normalize_external_id",
    "normalize_phone",
    "phone_key",
    "plausible_contact_id",
]

_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf"})

MIN_PHONE_DIGITS: Final = 6
"""Fewer digits than this cannot name one person's line (a typo, an extension)."""
MAX_PHONE_DIGITS: Final = 15
"""E.164's longest number."""
_PHONE_SEPARATORS: Final = frozenset(" -./()")
_DIGITS: Final = frozenset("0123456789")
_NOT_IN_ADDRESS: Final = frozenset(',;<>()[]\\"@')
#: What an Intercom contact id can be made of; anything else is never sent.
_PLAUSIBLE_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,255}")


def hidden_character(text: str) -> int | None:
    """The index of the first control or invisible format character in ``text``, if any.

    Tab, line feed and carriage return count too: they have no place inside one value.
    """
    for index, character in enumerate(text):
        if unicodedata.category(character) in _HIDDEN_CATEGORIES:
            return index
    return None


def _refuse_hidden(text: str, what: str) -> None:
    position = hidden_character(text)
    if position is not None:
        name = unicodedata.name(text[position], f"U+{ord(text[position]):04X}")
        raise ValueError(
            f"the {what} holds an invisible or control character ({name}) at position"
            f" {position + 1}; retype it"
        )


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
    _refuse_hidden(text, "email address")
    if any(character.isspace() for character in text):
        raise ValueError("the email address holds whitespace inside it")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("not an email address (expected local@domain)")
    quoted = len(local) > 1 and local.startswith('"') and local.endswith('"')
    if _NOT_IN_ADDRESS & set(domain) or (not quoted and _NOT_IN_ADDRESS & set(local)):
        raise ValueError(
            'not an email address: it holds one of , ; < > ( ) [ ] \\ " or a second @'
            " (one address, without a display name)"
        )
    return text


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number as typed and in its compact form. Both are personal data.

    Attributes:
        typed: The number as typed, surrounding whitespace stripped.
        compact: ``+`` and the digits (E.164) when the number carried an international
            prefix (``+`` or ``00``), else the digits alone.
    """

    typed: str = field(repr=False)
    compact: str = field(repr=False)

    @property
    def spellings(self) -> tuple[str, ...]:
        """The forms to search for, each once: as typed, then compact."""
        return tuple(dict.fromkeys((self.typed, self.compact)))


def normalize_phone(phone: str) -> PhoneNumber:
    """Check a phone number as people type it; raises on anything that is not one.

    Args:
        phone: A phone number as typed or read from a file, e.g. ``+44 (20) 7946-0000``
            or ``0044 20 7946 0000``.

    Returns:
        The number as typed and in its compact (E.164 where the prefix says so) form.

    Raises:
        ValueError: A letter, a control or invisible character, a sign other than spaces,
            ``-``, ``.``, ``/`` and parentheses, a ``+`` anywhere but at the start, or fewer
            than 6 or more than 15 digits. The message never repeats the number.
    """
    text = phone.strip()
    _refuse_hidden(text, "phone number")
    # A "+" leads when only an opening parenthesis comes before it: "+44 ..." or "(+44) ...".
    opening = len(text) - len(text.lstrip("("))
    plus = text[opening : opening + 1] == "+"
    body = text[:opening] + text[opening + 1 :] if plus else text
    for character in body:
        if character in _DIGITS or character in _PHONE_SEPARATORS:
            continue
        if character.isalpha():
            raise ValueError("the phone number holds a letter; give digits only")
        if character.isspace():
            continue  # a no-break space pasted from a document
        raise ValueError(
            "the phone number holds a character other than digits, spaces, - . / ( ) and a"
            " leading +"
        )
    digits = "".join(character for character in body if character in _DIGITS)
    international = plus or digits.startswith("00")
    if not plus and digits.startswith("00"):
        digits = digits[2:]
    if len(digits) < MIN_PHONE_DIGITS:
        raise ValueError(f"the phone number has fewer than {MIN_PHONE_DIGITS} digits")
    if len(digits) > MAX_PHONE_DIGITS:
        raise ValueError(f"the phone number has more than {MAX_PHONE_DIGITS} digits (E.164)")
    return PhoneNumber(typed=text, compact=("+" if international else "") + digits)


def phone_key(stored: str) -> str | None:
    """The compact form of a phone Intercom holds, or ``None`` when it is not one."""
    try:
        return normalize_phone(stored).compact
    except ValueError:
        return None


def normalize_external_id(external_id: str) -> str:
    """The external id with surrounding whitespace removed; raises on anything unusable.

    Raises:
        ValueError: Empty, or a control or invisible character inside. The message never
            repeats the id.
    """
    text = external_id.strip()
    if not text:
        raise ValueError("the external id is empty")
    _refuse_hidden(text, "external id")
    return text


def plausible_contact_id(contact_id: str) -> bool:
    """Whether ``contact_id`` could be an Intercom contact id (letters, digits, ``-``, ``_``).

    Intercom's ids are 24 hexadecimal digits; this rule is wider, so other id schemes (the
    fake's, a future one) still pass, but a path (``../../admin``), whitespace, control
    characters or an email never reach a request.
    """
    return _PLAUSIBLE_ID.fullmatch(contact_id) is not None
