"""Lookup by any identifier (issue 16 item 1): email, phone and external id, in one search.

Every exchange with the fake passes the OpenAPI-validating transport, so the nested ``OR``
query and its filters are checked against Intercom's 2.14 description.
"""

from __future__ import annotations

import asyncio
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_resolvers._text import normalize_phone
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom
from tests.openapi_spec import Validating

TOKEN = "tok_identifiers"


def resolver(fake: FakeIntercom) -> IntercomResolver:
    return IntercomResolver(TOKEN, transport=Validating(fake))


def person() -> tuple[FakeIntercom, dict[str, str]]:
    """One person held as a user (email), a lead (phone) and a lead (external id)."""
    fake = FakeIntercom(token=TOKEN, rate_limit=None)
    ids = {
        "user": fake.add_contact(email="ada@example.com", role="user"),
        "phone_lead": fake.add_contact(phone="+447946000000", role="lead"),
        "ext_lead": fake.add_contact(external_id="crm-7", role="lead"),
        "all": fake.add_contact(
            email="Ada@Example.com", phone="+447946000000", external_id="crm-7", role="user"
        ),
    }
    fake.add_contact(email="other@example.com", phone="+447946000001", external_id="crm-8")
    return fake, ids


async def test_email_phone_and_external_id_cost_one_search_and_say_what_matched() -> None:
    fake, ids = person()
    matches = await resolver(fake).find_contacts(
        email="ada@example.com", phone="0044 (7946) 000-000", external_id="crm-7"
    )
    assert fake.count() == 1
    assert fake.count("POST /contacts/search") == 1
    assert [m.id for m in matches] == [ids["user"], ids["phone_lead"], ids["ext_lead"], ids["all"]]
    assert [sorted(m.matched_on) for m in matches] == [
        ["email"],
        ["phone"],
        ["external_id"],
        ["email", "external_id", "phone"],
    ]
    assert [m.phone_only for m in matches] == [False, True, False, False]
    assert fake.requests[-1].json["query"] == {
        "operator": "OR",
        "value": [
            {"field": "email", "operator": "=", "value": "ada@example.com"},
            {"field": "phone", "operator": "=", "value": "0044 (7946) 000-000"},
            {"field": "phone", "operator": "=", "value": "+447946000000"},
            {"field": "external_id", "operator": "=", "value": "crm-7"},
        ],
    }


async def test_external_id_finds_leads_too_not_only_users() -> None:
    fake, ids = person()
    found = await resolver(fake).find_contact_ids(external_id=" crm-7 ")
    assert found == (ids["ext_lead"], ids["all"])
    assert fake.count("GET /contacts/find_by_external_id/{external_id}") == 0


async def test_phone_alone_searches_the_typed_and_the_e164_form() -> None:
    fake, ids = person()
    typed_stored = fake.add_contact(phone="+44 7946 000000", role="lead")
    matches = await resolver(fake).find_contacts(phone="+44 7946 000000")
    assert [m.id for m in matches] == [ids["phone_lead"], ids["all"], typed_stored]
    assert all(m.matched_on == {"phone"} for m in matches)
    assert fake.count("POST /contacts/search") == 1


async def test_every_combination_reads_every_page() -> None:
    fake = FakeIntercom(token=TOKEN, rate_limit=None)
    crowd = {fake.add_contact(phone="+15550100200", role="lead") for _ in range(160)}
    crowd |= {fake.add_contact(email="crowd@example.com", role="lead") for _ in range(160)}
    found = await resolver(fake).find_contact_ids(email="crowd@example.com", phone="+1 555 0100200")
    assert set(found) == crowd
    assert len(found) == 320
    assert fake.count("POST /contacts/search") == 3


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("+44 20 7946 0000 ext 12", "letter"),
        ("call me", "letter"),
        ("12345", "fewer than 6 digits"),
        ("+1 (5)", "fewer than 6 digits"),
        ("1234567890123456", "more than 15 digits"),
        ("+44\x0020 7946", "control character"),
        ("+44\u200b2079460000", "invisible"),
        ("44+2079460000", "other than digits"),
        ("020#7946*0000", "other than digits"),
        ("\u0661\u0662\u0663\u0664\u0665\u0666\u0667", "other than digits"),
        ("", "fewer than 6 digits"),
    ],
)
async def test_a_phone_that_is_not_one_is_refused_before_any_request(
    typed: str, reason: str
) -> None:
    fake, _ = person()
    with pytest.raises(ValueError, match=reason) as info:
        await resolver(fake).find_contacts(email="ada@example.com", phone=typed)
    if typed.strip():
        assert typed.strip() not in str(info.value)
    assert fake.count() == 0


async def test_an_external_id_with_a_control_character_is_refused_before_any_request() -> None:
    fake, _ = person()
    for typed in ("", "  ", "crm\x1b7", "crm\u202e7"):
        with pytest.raises(ValueError, match="external id"):
            await resolver(fake).find_contacts(external_id=typed)
    assert fake.count() == 0


# -- properties --------------------------------------------------------------------------------

_SEPARATORS = st.sampled_from([" ", "-", ".", "/", "(", ")", "\u00a0", ""])


@st.composite
def typed_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """A number as people type it, with the E.164 form it stands for."""
    digits = draw(st.text(alphabet=string.digits, min_size=6, max_size=15))
    prefix = draw(st.sampled_from(["+", "00", "(+"]))
    if prefix == "00" and digits.startswith("00"):
        digits = "1" + digits[1:]
    typed = prefix
    for digit in digits:
        typed += draw(_SEPARATORS) + digit
    padding = draw(st.sampled_from(["", " ", "  "]))
    return padding + typed + padding, "+" + digits


@given(typed_numbers())
def test_any_typing_of_a_number_has_one_e164_form(case: tuple[str, str]) -> None:
    typed, e164 = case
    number = normalize_phone(typed)
    assert number.compact == e164
    assert number.typed == typed.strip()
    assert number.spellings[-1] == e164
    assert e164 not in repr(number)


@settings(max_examples=40)
@given(typed_numbers())
def test_a_number_stored_in_e164_is_found_however_it_is_typed(case: tuple[str, str]) -> None:
    typed, e164 = case
    fake = FakeIntercom(token=TOKEN, rate_limit=None)
    held = fake.add_contact(phone=e164, role="lead")
    matches = asyncio.run(resolver(fake).find_contacts(phone=typed))
    assert [(m.id, m.matched_on) for m in matches] == [(held, frozenset({"phone"}))]


@given(st.text(min_size=1, max_size=30))
def test_hostile_text_is_a_phone_or_a_value_error_that_never_repeats_it(text: str) -> None:
    try:
        number = normalize_phone(text)
    except ValueError as error:
        message = str(error)
        if len(text.strip()) > 2:
            assert text.strip() not in message
        return
    digits = [c for c in number.compact if c.isdigit()]
    assert 6 <= len(digits) <= 15
    assert all(c in "0123456789+" for c in number.compact)
    assert not any(c.isalpha() for c in number.typed)


# -- how the person was looked for, in the receipt and the access report (item 3) -----------


def test_receipt_and_report_say_which_kinds_were_searched_and_what_search_misses() -> None:
    from datetime import UTC, datetime

    from dsr_resolvers import ResolverExport
    from dsr_resolvers.report import (
        ErasureReceipt,
        render_access_report,
        render_erasure_receipt,
        surface_digest,
    )

    surface = IntercomResolver(TOKEN).covered_surface
    now = datetime(2026, 1, 2, tzinfo=UTC)
    receipt = ErasureReceipt(
        resolver="intercom",
        requested_at=now,
        completed_at=now,
        policy="delete_contact",
        contacts=(),
        looked_for=("email", "phone", "external_id"),
        surface_sha256=surface_digest(surface),
    )
    assert ErasureReceipt.model_validate_json(receipt.to_json()) == receipt
    english = render_erasure_receipt(receipt)
    assert "email address, phone number, customer id" in english
    assert "does not find archived contacts" in english
    german = render_erasure_receipt(receipt, language="de")
    assert "E-Mail-Adresse, Telefonnummer, Kundennummer" in german
    assert "archivierte Kontakte" in german

    by_id = receipt.model_copy(update={"looked_for": ("contact_id",)})
    assert "reference in Intercom (no search)" in render_erasure_receipt(by_id)
    assert "archived" not in render_erasure_receipt(by_id)

    exports = {"c1": ResolverExport(resolver="intercom", records=())}
    report = render_access_report(exports, surface, None, searched=("email", "phone"))
    assert "email address, phone number" in report
    assert "does not find archived contacts" in report
    assert "Looked for by" not in render_access_report(exports, surface, None)


def test_a_match_its_fields_do_not_explain_is_never_taken_for_more_than_a_phone_match() -> None:
    import httpx

    def handle(request: httpx.Request) -> httpx.Response:
        # Intercom found these by a normalisation of its own: no field shows the number.
        contacts = [
            {"id": "a", "role": "lead", "phone": "+44 (0)20 7946 0000"},
            {"id": "b", "role": "user", "email": "ADA@EXAMPLE.COM"},
        ]
        return httpx.Response(200, json={"type": "list", "data": contacts})

    resolver = IntercomResolver(TOKEN, transport=httpx.MockTransport(handle))
    found = asyncio.run(resolver.find_contacts(email="ada@example.com", phone="+44 20 7946 0000"))
    assert [(m.id, sorted(m.matched_on)) for m in found] == [("a", ["phone"]), ("b", ["email"])]
    assert [m.phone_only for m in found] == [True, False]
    by_email = asyncio.run(resolver.find_contacts(email="ada@example.com"))
    assert [sorted(m.matched_on) for m in by_email] == [["email"], ["email"]]
