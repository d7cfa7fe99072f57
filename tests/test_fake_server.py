"""FakeIntercom served over real HTTP on 127.0.0.1: same answers, faults on the socket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from dsr_resolvers.testing import FakeIntercom, FakeIntercomServer

AUTH = {"Authorization": "Bearer test-token", "Intercom-Version": "2.14"}


@pytest.fixture
def fake() -> FakeIntercom:
    return FakeIntercom(rate_limit=None)


@pytest.fixture
def base_url(fake: FakeIntercom) -> Iterator[str]:
    with fake.serve() as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=5.0) as http:
        yield http


def encode_all(segment: str) -> str:
    return "".join(f"%{byte:02X}" for byte in segment.encode("utf-8"))


def raw_request(base_url: str, request: bytes) -> bytes:
    """Send bytes exactly as given (no client normalisation) and read the whole answer."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_serve_yields_a_loopback_url_and_answers_like_the_transport(
    fake: FakeIntercom, base_url: str, client: httpx.Client
) -> None:
    cid = fake.add_contact(email="ada@example.com")
    assert base_url.startswith("http://127.0.0.1:")
    response = client.get(f"/contacts/{cid}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == fake.contact(cid)
    assert fake.requests[-1].route == "GET /contacts/{id}"
    assert fake.requests[-1].intercom_version == "2.14"


def test_auth_and_rate_limit_headers_over_http() -> None:
    fake = FakeIntercom(rate_limit=2)
    with fake.serve() as url, httpx.Client(base_url=url, timeout=5.0) as http:
        assert http.get("/contacts").status_code == 401
        answers = [http.get("/contacts", headers=AUTH) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["X-RateLimit-Remaining"] == "0"
    assert answers[2].json()["errors"][0]["code"] == "rate_limit_exceeded"


@pytest.mark.parametrize("hostile", ["a/b", "..", ".", "x?y#z", "%41", "ü", "a b"])
def test_hostile_ids_survive_the_wire(
    fake: FakeIntercom, client: httpx.Client, hostile: str
) -> None:
    fake.add_contact(hostile)
    response = client.get(f"/contacts/{encode_all(hostile)}")
    assert response.status_code == 200
    assert response.json()["id"] == hostile
    assert fake.requests[-1].segments == ("contacts", hostile)


def test_the_server_never_normalises_dot_segments(fake: FakeIntercom, base_url: str) -> None:
    fake.add_contact("..")
    answer = raw_request(
        base_url,
        b"GET /contacts/%2E%2E HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\n"
        b"Connection: close\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 200")
    raw = raw_request(
        base_url,
        b"GET /contacts/../contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\n"
        b"Connection: close\r\n\r\n",
    )
    assert raw.startswith(b"HTTP/1.1 404")
    assert fake.requests[-1].segments == ("contacts", "..", "contacts")


def test_post_bodies_plain_and_chunked(fake: FakeIntercom, client: httpx.Client) -> None:
    cid = fake.add_contact(email="c@example.com")
    plain = client.post(
        "/contacts/search",
        json={"query": {"field": "email", "operator": "=", "value": "c@example.com"}},
    )
    chunked = client.post(
        "/contacts/search",
        content=iter(
            [b'{"query": {"field": "id", ', f'"operator": "=", "value": "{cid}"'.encode(), b"}}"]
        ),
        headers={"Content-Type": "application/json"},
    )
    assert [c["id"] for c in plain.json()["data"]] == [cid]
    assert [c["id"] for c in chunked.json()["data"]] == [cid]


def test_reset_next_resets_the_connection(fake: FakeIntercom, client: httpx.Client) -> None:
    cid = fake.add_contact()
    fake.reset_next(route="DELETE /contacts/{id}")
    with pytest.raises(httpx.TransportError):
        client.delete(f"/contacts/{cid}")
    assert fake.contact(cid) is not None
    fake.reset_next(after_processing=True)
    with pytest.raises(httpx.TransportError):
        client.delete(f"/contacts/{cid}")
    assert fake.contact(cid) is None
    assert client.delete(f"/contacts/{cid}").status_code == 404
    assert [r.status for r in fake.requests] == [0, 0, 404]


def test_timeout_next_hangs_past_the_client_timeout(fake: FakeIntercom, base_url: str) -> None:
    cid = fake.add_contact()
    fake.hang_seconds = 3600.0  # so the read timeout can only be the client's own
    fake.timeout_next(route="GET /contacts/{id}")
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get(f"/contacts/{cid}")
        assert http.get(f"/contacts/{cid}").status_code == 200


def test_a_hanging_request_does_not_hold_up_stopping() -> None:
    fake = FakeIntercom()
    fake.hang_seconds = 3600.0  # stopping must release it, not wait it out
    fake.timeout_next()
    server = FakeIntercomServer(fake)
    server.start()
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get("/contacts")
        stopping = threading.Thread(target=server.stop)
        stopping.start()
        stopping.join(timeout=60)  # a guard against the hour, not a measure
    assert not stopping.is_alive()


def test_malformed_and_failing_answers(fake: FakeIntercom, client: httpx.Client) -> None:
    fake.malformed_next()
    fake.fail_next(503, headers={"Retry-After": "2"})
    malformed = client.get("/contacts")
    failed = client.get("/contacts")
    assert malformed.status_code == 200
    with pytest.raises(ValueError, match=r"."):
        malformed.json()
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "2"
    assert failed.json()["type"] == "error.list"


def test_next_links_point_at_the_server(
    fake: FakeIntercom, base_url: str, client: httpx.Client
) -> None:
    cid = fake.add_contact(email="e@example.com")
    for n in range(3):
        fake.add_company_to_contact(cid, name=f"Co {n}")
        fake.add_event(cid, f"e{n}")
    companies = client.get(f"/contacts/{cid}/companies", params={"per_page": 2}).json()
    events = client.get(
        "/events", params={"type": "user", "intercom_user_id": cid, "per_page": 2}
    ).json()
    assert companies["pages"]["next"].startswith(f"{base_url}/contacts/{cid}/companies?")
    assert events["pages"]["next"].startswith(f"{base_url}/events?")
    assert len(client.get(companies["pages"]["next"]).json()["data"]) == 1
    assert len(client.get(events["pages"]["next"]).json()["events"]) == 1


def test_many_threads_share_one_server(fake: FakeIntercom, base_url: str) -> None:
    cid = fake.add_contact()
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with httpx.Client(base_url=base_url, headers=AUTH, timeout=5.0) as http:
                for _ in range(20):
                    assert http.get(f"/contacts/{cid}").status_code == 200
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert fake.count("GET /contacts/{id}") == 160


def test_the_server_stops_when_the_block_ends() -> None:
    fake = FakeIntercom()
    with fake.serve() as url, httpx.Client(base_url=url, headers=AUTH, timeout=2.0) as http:
        assert http.get("/contacts").status_code == 200
    with (
        httpx.Client(base_url=url, headers=AUTH, timeout=2.0) as http,
        pytest.raises(httpx.ConnectError),
    ):
        http.get("/contacts")


def test_only_loopback_addresses_are_served() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FakeIntercomServer(FakeIntercom(), host="0.0.0.0")  # noqa: S104 - the point of the test


def test_latency_applies_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # the fake's latency, without the wait
    fake = FakeIntercom(latency=0.05)
    with fake.serve() as url, httpx.Client(base_url=url, headers=AUTH, timeout=5.0) as http:
        http.get("/contacts")
        http.get("/contacts")
    assert slept == [0.05, 0.05]


def test_a_request_held_by_the_server_is_in_flight_until_it_is_released() -> None:
    fake = FakeIntercom()
    fake.hang_seconds = 3600.0  # held until the server stops
    fake.timeout_next()
    server = FakeIntercomServer(fake)
    server.start()
    errors: list[Exception] = []

    def ask() -> None:
        with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=60.0) as http:
            try:
                http.get("/contacts")
            except httpx.TransportError as error:  # the connection closes unanswered
                errors.append(error)

    asking = threading.Thread(target=ask)
    asking.start()
    assert fake.wait_for(lambda: fake.in_flight == 1)
    assert fake.open_connections == 1
    server.stop()  # releases the held request
    assert fake.wait_for(lambda: fake.in_flight == 0)
    asking.join(timeout=60)  # a guard, not a measure
    assert not asking.is_alive()
    assert [type(e) for e in errors] == [httpx.RemoteProtocolError]
    assert fake.open_connections == 0  # a stopped server counts nothing


def test_once_a_dead_clients_connections_are_closed_every_request_it_sent_is_recorded() -> None:
    fake = FakeIntercom(latency=0.2)  # the request is still being answered when its sender dies
    with fake.serve() as url:
        host, port = url.removeprefix("http://").split(":")
        for n in range(3):
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                sock.sendall(b"GET /contacts HTTP/1.1\r\nHost: x\r\n\r\n")
            # the sender is gone without reading; its request may not even be read yet
            assert fake.wait_for(lambda: fake.open_connections == 0)
            assert fake.count() == n + 1
            assert fake.in_flight == 0


def test_a_connection_waiting_to_be_accepted_is_open() -> None:
    fake = FakeIntercom()
    seen: list[int] = []
    with fake.serve() as url:
        host, port = url.removeprefix("http://").split(":")

        def connect_while_holding_the_lock() -> bool:
            # wait_for runs this under the fake's lock, so the server cannot accept: the
            # connection sits in the listening socket's queue and must count all the same.
            sock = socket.create_connection((host, int(port)), timeout=5)
            sock.sendall(b"GET /contacts HTTP/1.1\r\nHost: x\r\n\r\n")
            seen.append(fake.open_connections)
            sock.close()
            return True

        assert fake.wait_for(connect_while_holding_the_lock)
        assert fake.wait_for(lambda: fake.open_connections == 0)
    assert seen == [1]
    assert fake.count() == 1
