"""DriveFS: every protocol method round-trips on a temp folder, and hostile requests sent over
real HTTP to ``/api/drive`` are refused with a 4xx while the file system stays untouched."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from webr_desktop.server.drive import DIR_MODE, FILE_MODE, DriveFS
from webr_desktop.server.local_server import LocalServer

SECRET = "drive-test-secret"
OUTSIDE = b"TOP-SECRET-OUTSIDE"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"hello\n")
    (root / "sub" / "b.bin").write_bytes(bytes(range(256)))
    (root / "é.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (tmp_path / "outside.txt").write_bytes(OUTSIDE)
    (tmp_path / "outdir").mkdir()
    (root / "out.txt").symlink_to(tmp_path / "outside.txt")
    (root / "outdir").symlink_to(tmp_path / "outdir", target_is_directory=True)
    (root / "dangling").symlink_to(tmp_path / "not-yet")
    (root / "in.txt").symlink_to(root / "a.txt")
    return root


@pytest.fixture
def drives(tree: Path) -> DriveFS:
    fs = DriveFS()
    assert fs.add(tree) == "d1"
    return fs


@pytest.fixture
def server(tree: Path) -> Iterator[LocalServer]:
    srv = LocalServer(SECRET)  # its own DriveFS, on its own routes, as the app runs it
    assert srv.drives.add(tree) == "d1"
    srv.start()
    yield srv
    srv.close()


def call(fs: DriveFS, method: str, path: object, data: object = None) -> tuple[int, object]:
    """One request through the handler, as webR's client sends it; the reply decoded."""
    req: dict = {"method": method, "path": path}
    if data is not None:
        req["data"] = data
    status, ctype, body = fs.handle(json.dumps({"data": req, "browsingContextId": SECRET}).encode(), {})
    if ctype == "application/octet-stream":
        return status, body
    assert ctype == "application/json"
    return status, json.loads(body)  # every reply parses, errors included


def snapshot(base: Path) -> dict[str, bytes | str]:
    """Every entry under ``base`` (links not followed) with its bytes or link target."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(base):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(base))
            if p.is_symlink():
                out[rel] = "->" + os.readlink(p)
            elif p.is_file():
                out[rel] = p.read_bytes()
            else:
                out[rel] = "dir"
    return out


# -- registry ---------------------------------------------------------------------------
def test_add_is_idempotent_and_remove_stops_serving(tree: Path, tmp_path: Path) -> None:
    fs = DriveFS()
    name = fs.add(tree)
    assert fs.add(tree / "sub" / "..") == name
    other = fs.add(tmp_path / "outdir")
    assert other != name
    assert fs.roots() == {name: tree.resolve(), other: (tmp_path / "outdir").resolve()}
    fs.remove(name)
    assert call(fs, "lookup", f"{name}:/a.txt")[0] == 404
    with pytest.raises(NotADirectoryError):
        fs.add(tree / "a.txt")


# -- protocol round trips -----------------------------------------------------------------
def test_lookup_getmode_readdir(drives: DriveFS) -> None:
    assert call(drives, "lookup", "d1:/a.txt") == (200, {"ok": True, "mode": FILE_MODE})
    assert call(drives, "lookup", "d1:/sub") == (200, {"ok": True, "mode": DIR_MODE})
    assert call(drives, "lookup", "d1:/nope") == (200, {"ok": False})
    assert call(drives, "lookup", "d1:/in.txt") == (200, {"ok": True, "mode": FILE_MODE})
    assert call(drives, "getmode", "d1:") == (200, DIR_MODE)
    assert call(drives, "getmode", "d1:/a.txt") == (200, FILE_MODE)
    assert call(drives, "getmode", "d1:/nope")[0] == 404
    status, names = call(drives, "readdir", "d1:")
    assert status == 200
    # links out of the root and dangling links are not part of the drive
    assert sorted(names) == sorted(["a.txt", "sub", "é.csv", "in.txt"])
    assert call(drives, "readdir", "d1:/sub") == (200, ["b.bin"])


def test_get_put_binary_and_text(drives: DriveFS, tree: Path) -> None:
    status, reply = call(drives, "get", "d1:/sub/b.bin")
    assert status == 200 and reply["format"] == "base64"
    assert base64.b64decode(reply["content"]) == bytes(range(256))
    assert call(drives, "get", "d1:/sub/b.bin", {"format": "raw"}) == (200, bytes(range(256)))
    assert call(drives, "get", "d1:/nope") == (200, None)
    assert call(drives, "get", "d1:/sub") == (200, None)
    data = os.urandom(100_000)
    assert call(drives, "put", "d1:/sub/new.bin", {"format": "base64", "data": base64.b64encode(data).decode()}) == (200, None)
    assert (tree / "sub" / "new.bin").read_bytes() == data
    assert call(drives, "put", "d1:/t.txt", {"format": "text", "data": "é\n"}) == (200, None)
    assert (tree / "t.txt").read_bytes() == "é\n".encode()
    assert call(drives, "put", "d1:/in.txt", {"format": "text", "data": "via link"}) == (200, None)
    assert (tree / "a.txt").read_text() == "via link" and (tree / "in.txt").is_symlink()


def test_mknod_rename_rmdir_getattr(drives: DriveFS, tree: Path) -> None:
    assert call(drives, "mknod", "d1:/newdir", {"mode": 0o040777}) == (200, None)
    assert (tree / "newdir").is_dir()
    assert call(drives, "mknod", "d1:/newdir/f.txt", {"mode": 0o100666}) == (200, None)
    assert (tree / "newdir" / "f.txt").read_bytes() == b""
    (tree / "newdir" / "f.txt").write_bytes(b"keep")
    assert call(drives, "mknod", "d1:/newdir/f.txt", {"mode": 0o100666}) == (200, None)
    assert (tree / "newdir" / "f.txt").read_bytes() == b"keep"  # never truncated
    assert call(drives, "rename", "d1:/a.txt", {"newPath": "d1:/newdir/f.txt"}) == (200, None)
    assert (tree / "newdir" / "f.txt").read_bytes() == b"hello\n" and not (tree / "a.txt").exists()
    assert call(drives, "rename", "d1:/newdir", {"newPath": "d1:/ünï"}) == (200, None)
    assert (tree / "ünï" / "f.txt").exists()
    assert 400 <= call(drives, "rmdir", "d1:/ünï")[0] < 500  # not empty
    assert call(drives, "rmdir", "d1:/ünï/f.txt") == (200, None)  # rmdir also removes files
    assert call(drives, "rmdir", "d1:/ünï") == (200, None)
    assert not (tree / "ünï").exists()
    assert call(drives, "rmdir", "d1:/in.txt") == (200, None)  # the link, not its target
    assert not (tree / "in.txt").exists()
    status, attr = call(drives, "getattr", "d1:/é.csv")
    assert status == 200 and attr["size"] == 8 and attr["mtime"] > 0 and attr["blksize"] == 4096
    assert call(drives, "getattr", "d1:/nope")[0] == 404


# -- hostile requests over HTTP ---------------------------------------------------------------
def post(srv: LocalServer, payload: bytes, header: str | None = SECRET) -> tuple[int, str, bytes]:
    """POST to /api/drive with the secret in the header (as our worker patch sends it), or
    with ``header=None`` in the JSON body only (the stock client)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-WD-Secret"] = header
    try:
        conn.request("POST", "/api/drive", body=payload, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.headers["Content-Type"], resp.read()
    finally:
        conn.close()


def body(method: str, path: object, data: object = None, secret: object = SECRET) -> bytes:
    req: dict = {"method": method, "path": path}
    if data is not None:
        req["data"] = data
    return json.dumps({"data": req, "browsingContextId": secret}).encode()


PUT = {"format": "base64", "data": base64.b64encode(b"pwned").decode()}
HOSTILE: list[tuple[str, bytes]] = [
    ("traversal", body("get", "d1:/../outside.txt")),
    ("deep traversal", body("get", "d1:/../../../../etc/passwd")),
    ("traversal mid-path", body("get", "d1:/sub/../../outside.txt")),
    ("dot part", body("get", "d1:/./a.txt")),
    ("put traversal", body("put", "d1:/../pwned.txt", PUT)),
    ("mknod traversal", body("mknod", "d1:/../pwndir", {"mode": 0o040777})),
    ("symlink read", body("get", "d1:/out.txt")),
    ("symlink lookup", body("getattr", "d1:/out.txt")),
    ("symlink write", body("put", "d1:/out.txt", PUT)),
    ("dangling symlink write", body("put", "d1:/dangling", PUT)),
    ("symlinked dir write", body("put", "d1:/outdir/x.txt", PUT)),
    ("symlinked dir mknod", body("mknod", "d1:/outdir/x", {"mode": 0o040777})),
    ("symlinked dir readdir", body("readdir", "d1:/outdir")),
    ("rename target outside", body("rename", "d1:/a.txt", {"newPath": "d1:/../moved.txt"})),
    ("rename target via link", body("rename", "d1:/a.txt", {"newPath": "d1:/outdir/moved.txt"})),
    ("rename onto outside link", body("rename", "d1:/a.txt", {"newPath": "d1:/out.txt"})),
    ("rename to other drive", body("rename", "d1:/a.txt", {"newPath": "zz:/a.txt"})),
    ("rename source outside", body("rename", "d1:/../outside.txt", {"newPath": "d1:/stolen.txt"})),
    ("rename the root", body("rename", "d1:", {"newPath": "d1:/x"})),
    ("rmdir the root", body("rmdir", "d1:")),
    ("rmdir outside", body("rmdir", "d1:/../outside.txt")),
    ("absolute path", body("get", "/etc/passwd")),
    ("absolute after drive", body("get", "d1:/etc/passwd/../../../etc/passwd")),
    ("no slash after drive", body("get", "d1:a.txt")),
    ("windows path", body("get", "d1:C:\\Windows\\win.ini")),
    ("backslash traversal", body("get", "d1:/..\\outside.txt")),
    ("nul byte", body("put", "d1:/a.txt\x00.png", PUT)),
    ("unknown drive", body("get", "nope:/a.txt")),
    ("empty drive", body("get", ":/a.txt")),
    ("non-string path", body("get", ["d1:/a.txt"])),
    ("numeric path", body("get", 7)),
    ("huge path", body("get", "d1:/" + "a" * (1 << 20))),
    ("lone surrogate", b'{"data":{"method":"put","path":"d1:/\\ud800","data":{"format":"text","data":"x"}},"browsingContextId":"' + SECRET.encode() + b'"}'),
    ("missing data", json.dumps({"browsingContextId": SECRET}).encode()),
    ("data not an object", json.dumps({"data": "get", "browsingContextId": SECRET}).encode()),
    ("unknown method", body("chmod", "d1:/a.txt")),
    ("private method", body("_locate", "d1:/a.txt")),
    ("non-string method", body(None, "d1:/a.txt")),
    ("put bad base64", body("put", "d1:/a.txt", {"format": "base64", "data": "@@not base64@@"})),
    ("put bad format", body("put", "d1:/a.txt", {"format": "exe", "data": "x"})),
    ("put non-string data", body("put", "d1:/a.txt", {"format": "text", "data": 5})),
    ("mknod bad mode", body("mknod", "d1:/m", {"mode": "dir"})),
    ("rename bad newPath", body("rename", "d1:/a.txt", {"newPath": None})),
    ("bad JSON", b'{"data": {"method": "get", '),
    ("JSON array", json.dumps([{"data": {"method": "get", "path": "d1:/a.txt"}}]).encode()),
    ("missing secret", json.dumps({"data": {"method": "get", "path": "d1:/a.txt"}}).encode()),
    ("wrong secret", body("get", "d1:/a.txt", secret="guess")),
    ("non-string secret", body("get", "d1:/a.txt", secret=1)),
]
NO_HEADER = {"missing secret", "wrong secret", "non-string secret"}  # the body secret alone decides


@pytest.mark.parametrize(("name", "payload"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_request_is_refused(server: LocalServer, tree: Path, name: str, payload: bytes) -> None:
    base = tree.parent
    before = snapshot(base)
    status, ctype, reply = post(server, payload, None if name in NO_HEADER else SECRET)
    assert 400 <= status < 500, (name, status, reply)
    if ctype == "application/json":
        assert "error" in json.loads(reply)
    else:  # refused by LocalServer's secret check before the handler ran
        assert (status, reply) == (403, b"forbidden")
    assert snapshot(base) == before
    assert (base / "outside.txt").read_bytes() == OUTSIDE
    assert OUTSIDE not in reply


def test_encoded_traversal_stays_inside(server: LocalServer, tree: Path) -> None:
    """Percent- or unicode-encoded dots are plain names inside the root, never a way out."""
    before = snapshot(tree.parent)
    for path in ("d1:/%2e%2e/outside.txt", "d1:/..%2foutside.txt", "d1:/\u2024\u2024/outside.txt", "d1:/\uff0e\uff0e/outside.txt"):
        status, _, reply = post(server, body("get", path))
        assert (status, json.loads(reply)) == (200, None), path
        status, _, reply = post(server, body("lookup", path))
        assert (status, json.loads(reply)) == (200, {"ok": False}), path
    assert snapshot(tree.parent) == before


def test_http_round_trip_large_file(server: LocalServer, tree: Path) -> None:
    data = os.urandom(1 << 20)
    status, _, reply = post(server, body("put", "d1:/big.bin", {"format": "base64", "data": base64.b64encode(data).decode()}))
    assert (status, json.loads(reply)) == (200, None)
    status, ctype, reply = post(server, body("get", "d1:/big.bin"))
    assert status == 200 and ctype == "application/json"
    assert hashlib.sha256(base64.b64decode(json.loads(reply)["content"])).digest() == hashlib.sha256(data).digest()
    status, ctype, reply = post(server, body("get", "d1:/big.bin", {"format": "raw"}))
    assert (status, ctype, reply) == (200, "application/octet-stream", data)


# -- issue 14.1: no escape through a swap between resolving a path and using it ----------------
def swap_once(action):
    """A one-shot ``after_resolve`` hook: ``action()`` runs the first time a path is resolved."""
    fired: list[bool] = []

    def hook(_dir_fd: int, _name: str) -> None:
        if not fired:
            fired.append(True)
            action()

    return hook, fired


def swap_dir_for_link(root: Path, name: str, target: Path) -> None:
    os.rename(root / name, root / f"{name}.real")
    os.symlink(target, root / name, target_is_directory=True)


@pytest.fixture
def outdir(tree: Path) -> Path:
    out = tree.parent / "outdir"
    (out / "b.bin").write_bytes(OUTSIDE)
    (out / "victim").mkdir()
    (out / "x.txt").write_bytes(OUTSIDE)
    return out


RACES = [  # (method, path, data): each resolves d1:/sub/... and is swapped right after the walk
    ("get", "d1:/sub/b.bin", {"format": "raw"}),
    ("get", "d1:/sub/b.bin", {"format": "raw", "offset": 0, "length": 100}),
    ("get", "d1:/sub/b.bin", None),
    ("getattr", "d1:/sub/b.bin", None),
    ("readdir", "d1:/sub", None),
    ("put", "d1:/sub/b.bin", PUT),
    ("put", "d1:/sub/x.txt", PUT),
    ("mknod", "d1:/sub/pwn", {"mode": 0o040777}),
    ("mknod", "d1:/sub/pwn.txt", {"mode": 0o100666}),
    ("rmdir", "d1:/sub/victim", None),
    ("rmdir", "d1:/sub/x.txt", None),
    ("rename", "d1:/sub/x.txt", {"newPath": "d1:/stolen.txt"}),
    ("rename", "d1:/a.txt", {"newPath": "d1:/sub/x.txt"}),
]


@pytest.mark.parametrize(("method", "path", "data"), RACES, ids=[f"{m}-{p}-{i}" for i, (m, p, _) in enumerate(RACES)])
def test_folder_swapped_for_link_after_resolve(server: LocalServer, tree: Path, outdir: Path,
                                              method: str, path: str, data: object) -> None:
    """Deterministic: the folder is replaced by a link out of the root between the walk and the
    open. The request acts on the folder it walked (now ``sub.real``) or fails; never outside."""
    (tree / "sub" / "victim").mkdir()
    (tree / "sub" / "x.txt").write_bytes(b"inside")
    outside_before = snapshot(outdir)
    hook, fired = swap_once(lambda: swap_dir_for_link(tree, "sub", outdir))
    server.drives.after_resolve = hook
    status, _, reply = post(server, body(method, path, data))
    assert fired
    assert OUTSIDE not in reply and base64.b64encode(OUTSIDE) not in reply
    if method == "readdir" and status == 200:
        assert sorted(json.loads(reply)) == sorted(["b.bin", "victim", "x.txt"])  # sub.real's own
    if method == "getattr" and status == 200:
        assert json.loads(reply)["size"] == 256  # sub.real/b.bin, not the outside file
    assert snapshot(outdir) == outside_before


def test_file_swapped_for_link_or_fifo_after_resolve(server: LocalServer, tree: Path, outdir: Path) -> None:
    """The file itself becomes a link out, or a FIFO, after the walk: refused at once."""
    outside = tree.parent / "outside.txt"

    def to_link() -> None:
        os.unlink(tree / "a.txt")
        os.symlink(outside, tree / "a.txt")

    def to_fifo() -> None:
        os.unlink(tree / "a.txt")
        os.mkfifo(tree / "a.txt")

    for swap in (to_link, to_fifo):
        if (tree / "a.txt").is_symlink() or (tree / "a.txt").exists():
            os.unlink(tree / "a.txt")
        (tree / "a.txt").write_bytes(b"hello\n")
        for data in ({"format": "raw"}, {"format": "raw", "offset": 0, "length": 10}):
            (tree / "a.txt").unlink()
            (tree / "a.txt").write_bytes(b"hello\n")
            server.drives.after_resolve, fired = swap_once(swap)
            status, _, reply = post(server, body("get", "d1:/a.txt", data))  # a hang fails by timeout
            assert fired and 400 <= status < 500 and OUTSIDE not in reply, (swap.__name__, status, reply)
            assert json.loads(reply)["errno"] in ("ELOOP", "EINVAL")
    # a put whose target became a link is refused; the outside file is untouched
    (tree / "a.txt").unlink()
    (tree / "a.txt").write_bytes(b"hello\n")
    server.drives.after_resolve, _ = swap_once(to_link)
    status, _, _ = post(server, body("put", "d1:/a.txt", PUT))
    assert status == 400 and outside.read_bytes() == OUTSIDE


def test_concurrent_swapper_never_leaks(server: LocalServer, tree: Path, outdir: Path) -> None:
    """A thread flips ``sub`` between the real folder and a link out as fast as it can while
    gets and puts hammer it; bounded by a count and a deadline."""
    import threading
    import time

    stop = threading.Event()
    flips = [0]

    def swapper() -> None:
        while not stop.is_set():
            os.rename(tree / "sub", tree / "sub.real")
            os.symlink(outdir, tree / "sub", target_is_directory=True)
            os.unlink(tree / "sub")
            os.rename(tree / "sub.real", tree / "sub")
            flips[0] += 1

    before = snapshot(outdir)
    thread = threading.Thread(target=swapper, daemon=True)
    thread.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {"Content-Type": "application/json", "X-WD-Secret": SECRET}
    served = {"get": 0, "put": 0}
    deadline = time.monotonic() + 20
    try:
        for i in range(3000):
            if time.monotonic() > deadline:
                break
            method = "get" if i % 2 else "put"
            data = {"format": "raw"} if method == "get" else PUT
            conn.request("POST", "/api/drive", body=body(method, f"d1:/sub/{'b.bin' if method == 'get' else 'x.txt'}", data), headers=headers)
            resp = conn.getresponse()
            reply = resp.read()
            assert OUTSIDE not in reply and base64.b64encode(OUTSIDE) not in reply
            served[method] += resp.status == 200
            # done inside, refused, or mid-flip; ENOTDIR (409) is the kernel refusing to walk
            # through the link as a directory (O_DIRECTORY | O_NOFOLLOW), seen once under load
            assert resp.status in (200, 403, 404) or (resp.status == 409 and json.loads(reply)["errno"] == "ENOTDIR"), reply
    finally:
        stop.set()
        thread.join(5)
        conn.close()
    assert flips[0] > 20 and served["get"] > 20, (flips, served)  # the race was really run
    assert snapshot(outdir) == before  # nothing written, created or replaced outside


# -- issue 14.3: the secret is checked before a byte of the body is read ---------------------------
def raw_request(srv: LocalServer, head: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    sock.sendall(head.replace("PORT", str(srv.port)).encode() + b"\r\n")
    return sock


def answer_without_body(sock: socket.socket) -> bytes:
    """What the server says before we send any body; it must then close (a hang times out)."""
    got = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return got
        got += chunk


BIG = 500 << 20
EARLY = [  # (request head, expected status): none may wait for its 500 MiB body
    (f"POST /api/drive HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nX-WD-Secret: wrong\r\nContent-Length: {BIG}\r\n", 403),
    (f"POST /api/drive HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nContent-Length: {BIG}\r\n", 413),  # body secret: 64 KiB max
    (f"POST /api/drive/put HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nX-WD-Secret: wrong\r\nContent-Length: {BIG}\r\n", 403),
    (f"POST /api/drive/put HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nContent-Length: {BIG}\r\n", 403),
    (f"POST /api/drive HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nX-WD-Secret: {SECRET}\r\nContent-Length: {BIG}\r\n", 413),
    (f"POST /api/drive/put HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nX-WD-Secret: {SECRET}\r\nContent-Length: {4 << 30}\r\n", 413),
]


def test_refused_before_the_body_is_read(server: LocalServer) -> None:
    """Four concurrent 500 MiB POSTs per kind: each is answered and closed with no body sent."""
    for head, status in EARLY:
        socks = [raw_request(server, head) for _ in range(4)]
        try:
            for sock in socks:
                reply = answer_without_body(sock)
                assert reply.startswith(f"HTTP/1.1 {status} ".encode()), (head, reply[:80])
                assert b"Connection: close" in reply
        finally:
            for sock in socks:
                sock.close()


def test_wrong_secret_flood_is_not_consumed(server: LocalServer) -> None:
    """A client that pushes its body anyway gets cut off: the server reads nothing, so what the
    client manages to send is what the kernel buffers hold, far below the 500 MiB it declared."""
    import threading

    sent = [0] * 4

    def flood(i: int) -> None:
        sock = raw_request(server, f"POST /api/drive HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nX-WD-Secret: x\r\nContent-Length: {BIG}\r\n")
        block = b"\0" * (1 << 20)
        try:
            while sent[i] < BIG:
                sent[i] += sock.send(block)
        except OSError:
            pass  # reset or broken pipe: the server closed on us
        finally:
            sock.close()

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert max(sent) < 64 << 20, sent  # socket buffers only (measured: a few MiB)


# -- issue 14.5: a put that fails keeps the old file and names its cause --------------------------
def put_raw(srv: LocalServer, path: str, data: bytes) -> tuple[int, dict | None]:
    """The patched worker's put: raw bytes to /api/drive/put, the path in X-WD-Path."""
    from urllib.parse import quote

    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        conn.request("POST", "/api/drive/put", body=data, headers={
            "X-WD-Secret": SECRET, "X-WD-Path": quote(path, safe=""), "Content-Type": "application/octet-stream"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB file system (tmpfs), so a write runs out of space for real."""
    import subprocess

    where = tmp_path / "small"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def disk_server(small_disk: Path) -> Iterator[LocalServer]:
    srv = LocalServer(SECRET)
    assert srv.drives.add(small_disk) == "d1"
    srv.start()
    yield srv
    srv.close()


def test_full_disk_keeps_old_contents(disk_server: LocalServer, small_disk: Path) -> None:
    old = os.urandom(300_000)
    (small_disk / "keep.bin").write_bytes(old)
    os.chmod(small_disk / "keep.bin", 0o640)
    status, reply = put_raw(disk_server, "d1:/keep.bin", os.urandom(2 << 20))
    assert (status, reply["errno"]) == (507, "ENOSPC"), reply
    assert (small_disk / "keep.bin").read_bytes() == old
    # the stock JSON form fails the same way
    status, _, reply = post(disk_server, body("put", "d1:/keep.bin", {"format": "base64", "data": base64.b64encode(os.urandom(900_000)).decode()}))
    assert (status, json.loads(reply)["errno"]) == (507, "ENOSPC")
    assert (small_disk / "keep.bin").read_bytes() == old
    assert sorted(os.listdir(small_disk)) == ["keep.bin"]  # no temporary file left behind
    # a write that fits replaces the file whole and keeps its permission bits
    new = os.urandom(200_000)
    assert put_raw(disk_server, "d1:/keep.bin", new) == (200, None)
    assert (small_disk / "keep.bin").read_bytes() == new
    assert stat.S_IMODE((small_disk / "keep.bin").stat().st_mode) == 0o640
    assert sorted(os.listdir(small_disk)) == ["keep.bin"]


def test_read_only_file_system_is_named(disk_server: LocalServer, small_disk: Path) -> None:
    import subprocess

    (small_disk / "keep.txt").write_bytes(b"old")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    assert put_raw(disk_server, "d1:/keep.txt", b"new")[1]["errno"] == "EROFS"
    assert put_raw(disk_server, "d1:/new.txt", b"new")[1]["errno"] == "EROFS"
    for method, path, data in (("mknod", "d1:/d", {"mode": 0o040777}), ("rmdir", "d1:/keep.txt", None),
                               ("rename", "d1:/keep.txt", {"newPath": "d1:/k2.txt"}),
                               ("truncate", "d1:/keep.txt", {"size": 0})):
        status, _, reply = post(disk_server, body(method, path, data))
        assert (status, json.loads(reply)["errno"]) == (403, "EROFS"), method
    assert (small_disk / "keep.txt").read_bytes() == b"old"


SERVE_AS_NOBODY = """
import os, sys, pathlib
from webr_desktop.server.local_server import LocalServer
if os.geteuid() == 0:  # imported as root (the venv may be root's alone), served as nobody
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
srv = LocalServer(sys.argv[2]); srv.drives.add(pathlib.Path(sys.argv[1])); srv.start()
print(srv.port, flush=True)
sys.stdin.read()  # until the test closes our stdin
srv.close()
"""


def test_read_only_file_is_permission_denied(tmp_path: Path) -> None:
    """Permission bits, for real: a read-only file in a read-only folder. Root ignores them, so
    under root (this suite's usual user) the server runs as ``nobody`` in a child process."""
    import subprocess
    import sys
    import tempfile

    if os.name != "posix":
        pytest.skip("POSIX permissions")
    base = Path(tempfile.mkdtemp(prefix="wd-perm-", dir="/tmp"))
    try:
        (base / "ro.txt").write_bytes(b"old")
        os.chmod(base / "ro.txt", 0o444)
        os.chmod(base, 0o555)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        child = subprocess.Popen([sys.executable, "-c", SERVE_AS_NOBODY, str(base), SECRET],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd="/")
        try:
            port = int(child.stdout.readline())

            class Remote:  # what put_raw and post need of a server
                pass

            srv = Remote()
            srv.port = port  # type: ignore[attr-defined]
            assert put_raw(srv, "d1:/ro.txt", b"new")[1]["errno"] == "EACCES"  # type: ignore[arg-type]
            assert put_raw(srv, "d1:/new.txt", b"new")[1]["errno"] == "EACCES"  # type: ignore[arg-type]
            status, _, reply = post(srv, body("writable", "d1:/ro.txt"))  # type: ignore[arg-type]
            assert (status, json.loads(reply)["errno"]) == (403, "EACCES")
            status, _, reply = post(srv, body("mknod", "d1:/d", {"mode": 0o040777}))  # type: ignore[arg-type]
            assert (status, json.loads(reply)["errno"]) == (403, "EACCES")
            assert (base / "ro.txt").read_bytes() == b"old"
            assert sorted(os.listdir(base)) == ["ro.txt"]
        finally:
            child.stdin.close()
            child.wait(10)
    finally:
        import shutil

        os.chmod(base, 0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_dropped_upload_keeps_old_contents(server: LocalServer, tree: Path) -> None:
    sock = raw_request(server, f"POST /api/drive/put HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nX-WD-Secret: {SECRET}\r\n"
                               f"X-WD-Path: d1%3A%2Fa.txt\r\nContent-Length: 100000\r\n")
    sock.sendall(b"x" * 1000)
    sock.shutdown(socket.SHUT_WR)  # the writer died mid-file
    reply = answer_without_body(sock)
    sock.close()
    assert b'"errno": "EIO"' in reply
    assert (tree / "a.txt").read_bytes() == b"hello\n"
    assert not [n for n in os.listdir(tree) if n.startswith(".~wd-")]


# -- issue 14.6: bounded memory per request; special files refused at once ------------------------
def ranged(srv: LocalServer, path: str, offset: int, length: int) -> tuple[int, bytes, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request("POST", "/api/drive", body=body("get", path, {"format": "raw", "offset": offset, "length": length}),
                     headers={"X-WD-Secret": SECRET})
        resp = conn.getresponse()
        return resp.status, resp.read(), resp.headers["X-WD-Size"]
    finally:
        conn.close()


def test_huge_sparse_file_reads_in_ranges(server: LocalServer, tree: Path) -> None:
    size = 3 << 30
    with open(tree / "huge.bin", "wb") as f:
        f.truncate(size)
        f.seek(size - 4)
        f.write(b"TAIL")
    assert ranged(server, "d1:/huge.bin", 0, 10) == (200, b"\0" * 10, str(size))
    assert ranged(server, "d1:/huge.bin", size - 6, 100) == (200, b"\0\0TAIL", str(size))
    assert ranged(server, "d1:/huge.bin", size + 5, 100) == (200, b"", str(size))
    status, _, reply = post(server, body("get", "d1:/huge.bin", {"format": "raw"}))  # whole: refused, not wrong
    assert (status, json.loads(reply)["errno"]) == (413, "EFBIG")
    status, _, reply = post(server, body("get", "d1:/huge.bin", {"format": "raw", "offset": 0, "length": (16 << 20) + 1}))
    assert status == 400


def test_fifo_and_devices_are_not_files(server: LocalServer, tree: Path) -> None:
    os.mkfifo(tree / "pipe")
    (tree / "dev").symlink_to("/dev/zero")  # outside anyway, but also not a file
    assert call(server.drives, "lookup", "d1:/pipe") == (200, {"ok": False})
    assert "pipe" not in call(server.drives, "readdir", "d1:")[1]
    for data in (None, {"format": "raw"}, {"format": "raw", "offset": 0, "length": 10}):
        status, _, reply = post(server, body("get", "d1:/pipe", data))  # at once: a hang times out
        assert status == 400 and json.loads(reply)["errno"] == "EINVAL"
    assert put_raw(server, "d1:/pipe", b"x")[0] == 400
    assert post(server, body("get", "d1:/dev", {"format": "raw"}))[0] == 403


def test_memory_stays_bounded_for_big_files(server: LocalServer, tree: Path) -> None:
    """A 64 MiB put and a 64 MiB read in chunks each allocate a few MiB in the server, not the file."""
    import tracemalloc

    data = os.urandom(64 << 20)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        assert put_raw(server, "d1:/big.bin", data) == (200, None)
        put_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        got, offset = hashlib.sha256(), 0
        while offset < len(data):
            status, chunk, _ = ranged(server, "d1:/big.bin", offset, 8 << 20)
            got.update(chunk)
            offset += len(chunk)
        get_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got.digest() == hashlib.sha256(data).digest()
    assert put_peak < 8 << 20, put_peak
    assert get_peak < 32 << 20, get_peak  # one 8 MiB chunk in flight, a few copies


# -- streamed uploads: a file written in pieces is published whole at the end, or not at all ------
def piece(srv: LocalServer, path: str, data: bytes, upload: str, offset: int = 0, **extra: str) -> tuple[int, dict | None]:
    from urllib.parse import quote

    headers = {"X-WD-Secret": SECRET, "X-WD-Path": quote(path, safe=""), "X-WD-Upload": upload,
               "X-WD-Offset": str(offset), **extra}
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        conn.request("POST", "/api/drive/put", body=data, headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_upload_in_pieces(server: LocalServer, tree: Path) -> None:
    parts = [os.urandom(300_000) for _ in range(3)]
    status, reply = piece(server, "d1:/a.txt", parts[0], "new")
    assert status == 200
    upload = reply["upload"]
    assert (tree / "a.txt").read_bytes() == b"hello\n"  # nothing published yet
    assert piece(server, "d1:/a.txt", parts[1], upload, 300_000)[0] == 200
    status, _, back = post(server, body("get", "d1:/a.txt", {"format": "raw", "offset": 299_990, "length": 20, "upload": upload}))
    assert (status, back) == (200, (parts[0] + parts[1])[299_990:300_010])  # read back after a seek
    assert piece(server, "d1:/a.txt", b"x", upload, 5)[1]["errno"] == "EINVAL"  # out of order: dropped
    assert (tree / "a.txt").read_bytes() == b"hello\n"
    assert not [n for n in os.listdir(tree) if n.startswith(".~wd-")]
    assert piece(server, "d1:/a.txt", parts[2], upload, 600_000, **{"X-WD-Final": "1"})[1]["errno"] == "EBADF"
    # again, to the end
    upload = piece(server, "d1:/a.txt", parts[0], "new")[1]["upload"]
    piece(server, "d1:/a.txt", parts[1], upload, 300_000)
    assert piece(server, "d1:/a.txt", parts[2], upload, 600_000, **{"X-WD-Final": "1"}) == (200, None)
    assert (tree / "a.txt").read_bytes() == b"".join(parts)
    assert not [n for n in os.listdir(tree) if n.startswith(".~wd-")]


def test_upload_abort_and_foreign_drive(server: LocalServer, tree: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    assert server.drives.add(other) == "d2"
    upload = piece(server, "d1:/new.bin", b"abc", "new")[1]["upload"]
    assert piece(server, "d2:/x", b"d", upload, 3)[1]["errno"] == "EBADF"  # bound to its drive
    assert piece(server, "d1:/new.bin", b"", upload, 0, **{"X-WD-Abort": "1"}) == (200, None)
    assert not (tree / "new.bin").exists() and not [n for n in os.listdir(tree) if n.startswith(".~wd-")]
    upload = piece(server, "d1:/gone.bin", b"abc", "new")[1]["upload"]
    server.drives.remove("d1")  # unmount: its uploads go too
    assert not [n for n in os.listdir(tree) if n.startswith(".~wd-")]


def test_upload_hits_full_disk(disk_server: LocalServer, small_disk: Path) -> None:
    old = os.urandom(300_000)
    (small_disk / "keep.bin").write_bytes(old)
    upload = piece(disk_server, "d1:/keep.bin", os.urandom(400_000), "new")[1]["upload"]
    status, reply = piece(disk_server, "d1:/keep.bin", os.urandom(600_000), upload, 400_000)
    assert (status, reply["errno"]) == (507, "ENOSPC")
    assert (small_disk / "keep.bin").read_bytes() == old
    assert sorted(os.listdir(small_disk)) == ["keep.bin"]


def test_append_upload_in_place(server: LocalServer, tree: Path, disk_server: LocalServer, small_disk: Path) -> None:
    """X-WD-Keep: bytes go onto the end of the file itself; a failure or an abort cuts the file
    back to its old length."""
    keep = {"X-WD-Keep": "1"}
    upload = piece(server, "d1:/a.txt", b"more\n", "new", 6, **keep)[1]["upload"]
    assert (tree / "a.txt").read_bytes() == b"hello\nmore\n"  # in place, as POSIX appends
    assert piece(server, "d1:/a.txt", b"", upload, 11, **{"X-WD-Abort": "1"}) == (200, None)
    assert (tree / "a.txt").read_bytes() == b"hello\n"
    assert piece(server, "d1:/a.txt", b"x", "new", 3, **keep)[1]["errno"] == "EINVAL"  # not the end
    assert (tree / "a.txt").read_bytes() == b"hello\n"
    assert piece(server, "d1:/a.txt", b"end\n", "new", 6, **keep, **{"X-WD-Final": "1"}) == (200, None)
    assert (tree / "a.txt").read_bytes() == b"hello\nend\n"
    old = os.urandom(300_000)
    (small_disk / "log.bin").write_bytes(old)
    status, reply = piece(disk_server, "d1:/log.bin", os.urandom(2 << 20), "new", 300_000, **keep)
    assert (status, reply["errno"]) == (507, "ENOSPC")
    assert (small_disk / "log.bin").read_bytes() == old
