"""The page's binary uploads: taken once by id, hostile uploads refused, memory capped."""

from __future__ import annotations

import http.client

import pytest

from webr_desktop.server.blob_inbox import BlobInbox
from webr_desktop.server.local_server import LocalServer


@pytest.fixture
def server():
    with LocalServer() as srv:
        yield srv


def _post(srv: LocalServer, path: str, body: bytes, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("POST", path, body=body, headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def test_upload_is_taken_once_by_id(server: LocalServer) -> None:
    data = bytes(range(256)) * 1000
    assert _post(server, f"/{server.secret}/api/blob", data, {"X-Blob-Id": "abc-123"}) == 200
    assert server.blobs.take("abc-123") == data
    assert server.blobs.take("abc-123") is None


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/blob", {"X-Blob-Id": "a"}, 403),  # no secret
        ("/wrong-secret/api/blob", {"X-Blob-Id": "a"}, 403),
        ("/{secret}/api/blob", {}, 400),  # no id
        ("/{secret}/api/blob", {"X-Blob-Id": "../../etc"}, 400),
        ("/{secret}/api/blob", {"X-Blob-Id": "x" * 65}, 400),
    ],
)
def test_hostile_uploads_are_refused(server: LocalServer, path: str, headers: dict, status: int) -> None:
    assert _post(server, path.format(secret=server.secret), b"data", headers) == status
    assert len(server.blobs) == 0


def test_get_is_not_allowed(server: LocalServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", f"/{server.secret}/api/blob")
    assert conn.getresponse().status == 405
    conn.close()


def test_duplicate_id_and_total_cap() -> None:
    inbox = BlobInbox(max_total=10)
    assert inbox.handle(b"12345", {"x-blob-id": "a"})[0] == 200
    assert inbox.handle(b"1", {"x-blob-id": "a"})[0] == 409
    assert inbox.handle(b"123456", {"x-blob-id": "b"})[0] == 507
    assert inbox.take("a") == b"12345"
    assert inbox.handle(b"123456", {"x-blob-id": "b"})[0] == 200


def test_unclaimed_uploads_expire() -> None:
    inbox = BlobInbox(ttl_s=0.0)
    inbox.handle(b"old", {"x-blob-id": "a"})
    inbox.handle(b"new", {"x-blob-id": "b"})  # expires "a"
    assert inbox.take("a") is None
