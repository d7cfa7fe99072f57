"""The one rule for typed email addresses, shared by the resolver, the CLI and bulk runs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsr_resolvers._text import hidden_character, normalize_email


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (" Sam.Rivera@Example.com", "Sam.Rivera@Example.com"),
        ("ada@example.com\n", "ada@example.com"),
        ("\t a@b \r\n", "a@b"),
    ],
)
def test_surrounding_whitespace_is_stripped_and_case_kept(typed: str, expected: str) -> None:
    assert normalize_email(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "\ufeffada@example.com",  # a byte-order mark
        "ada\u200b@example.com",  # a zero-width space
        "ada@exa\x00mple.com",
        "ada@example.com\x1b[0m",
        "ada@exam\u00adple.com",  # a soft hyphen (Cf)
    ],
)
def test_hidden_characters_are_refused_without_echoing_the_address(typed: str) -> None:
    with pytest.raises(ValueError, match="invisible or control character") as caught:
        normalize_email(typed)
    assert "ada" not in str(caught.value)


@pytest.mark.parametrize("typed", ["", "   ", "ada", "@example.com", "ada@", "a b@example.com"])
def test_not_an_address_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="address") as caught:
        normalize_email(typed)
    assert typed.strip() == "" or typed.strip() not in str(caught.value)


@given(st.text())
def test_normalised_addresses_hold_nothing_hidden(typed: str) -> None:
    try:
        normalized = normalize_email(typed)
    except ValueError:
        return
    assert normalized == normalized.strip()
    assert hidden_character(normalized) is None
    assert not any(character.isspace() for character in normalized)
    assert "@" in normalized
