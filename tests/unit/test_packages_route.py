"""The package route on a real LocalServer, called as R's worker calls it (JSON over HTTP)."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest

from tests.fixtures.packages import Pkg, RepoServer, build, chain, make_repo, tree_hash, write_archive
from webr_desktop.core.packages.service import PackageService
from webr_desktop.server.local_server import LocalServer
from webr_desktop.server.packages import PACKAGES_PATH, PackagesRoute, install_route


class Client:
    def __init__(self, server: LocalServer) -> None:
        self.server = server

    def raw(self, path: str, body: bytes) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        try:
            conn.request("POST", path, body=body, headers={"Host": f"127.0.0.1:{self.server.port}",
                                                             "Content-Type": "application/json"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def __call__(self, **request: object) -> dict:
        status, body = self.raw(f"/{self.server.secret}/{PACKAGES_PATH}", json.dumps(request).encode())
        assert status in (200, 400), body
        return json.loads(body)


@pytest.fixture()
def env(tmp_path: Path):
    root = make_repo(tmp_path / "repo", [*chain(), Pkg("pure", "1.0", built=None)])
    events, changed = [], []
    with RepoServer(root) as repo, LocalServer() as server:
        svc = PackageService.from_config(repos=[repo.url], library_root=tmp_path / "lib" / "R-4.6",
                                         cache_root=tmp_path / "cache")
        route = PackagesRoute(svc, progress=events.append, changed=changed.extend, take_blob=server.blobs.take)
        install_route(server, route)
        yield Client(server), svc, repo, events, changed


def test_the_secret_is_checked_before_the_body(env) -> None:
    client, svc, *_ = env
    status, body = client.raw(f"/wrong/{PACKAGES_PATH}", json.dumps({"op": "remove", "pkgs": ["a"]}).encode())
    assert status == 403 and body == b"forbidden"
    conn = http.client.HTTPConnection("127.0.0.1", client.server.port, timeout=60)
    try:  # a body over the route's cap is refused from its Content-Length, never read
        conn.putrequest("POST", f"/{client.server.secret}/{PACKAGES_PATH}", skip_host=True)
        conn.putheader("Host", f"127.0.0.1:{client.server.port}")
        conn.putheader("Content-Length", str(2 * 1024 * 1024))
        conn.endheaders()
        assert conn.getresponse().status == 413
    finally:
        conn.close()


def test_plan_then_install_one_by_one_like_install_packages(env) -> None:
    client, svc, repo, events, changed = env
    reply = client(op="plan", pkgs=["a"])
    assert [(i["package"], i["version"], i["kind"]) for i in reply["plan"]] == [
        ("c", "0.5", "binary"), ("b", "1.1", "binary"), ("a", "1.0", "binary")]
    assert reply["sources"][0]["ok"] and all(i["size"] for i in reply["plan"])
    for item in reply["plan"]:
        done = client(op="install_one", package=item["package"], version=item["version"], source=item["source"])
        assert done["installed"]["version"] == item["version"]
    assert changed == ["c", "b", "a"]
    assert {e["package"] for e in client(op="installed")["packages"]} == {"a", "b", "c"}
    assert {e.phase for e in events} >= {"download", "unpack", "install", "done"}
    assert client(op="old") == {"packages": []}
    found = client(op="available", query="test package a")["packages"]
    assert found[0]["package"] == "a" and found[0]["fields"]["Imports"] == "b (>= 1.1)"
    assert client(op="remove", pkgs=["a", "zz"]) == {"removed": ["a"]}


def test_r_can_only_install_what_a_source_offers(env, tmp_path: Path) -> None:
    client, svc, repo, *_ = env
    before = tree_hash(svc.library.root.parent)
    reply = client(op="install_one", package="a", version="1.0", source=str(tmp_path / "evil.tgz"))
    assert "is not offered by" in reply["error"] and reply["type"] == "NotFoundError"
    assert client(op="install_one", package="../etc", version="1", source=repo.url)["type"] == "BadRequest"
    assert client(op="plan", pkgs=["a; rm"])["type"] == "BadRequest"
    assert client(op="plan", pkgs=["a"], repos=["file:///etc"])["type"] == "BadRequest"
    assert client(op="commit_stage", stage="../../x")["type"] == "PackageError"
    assert client(op="install_file", filename="../x_1.0.tgz", blob="b1")["type"] == "BadRequest"
    assert client(op="nope")["type"] == "BadRequest"
    assert "not valid JSON" in json.loads(client.raw(f"/{client.server.secret}/{PACKAGES_PATH}", b"{")[1])["error"]
    assert tree_hash(svc.library.root.parent) == before


def test_errors_are_readable(env) -> None:
    client, svc, repo, *_ = env
    assert client(op="plan", pkgs=["ghost"])["error"].startswith("package 'ghost' is not available from:")
    reply = client(op="install", pkgs=["a"], repos=[repo.url + "/nothing-here"])
    assert "not available" in reply["error"]
    assert client(op="status")["sources"][0]["ok"]


def test_a_source_package_is_staged_for_r_and_committed(env) -> None:
    client, svc, repo, *_ = env
    item = client(op="plan", pkgs=["pure"])["plan"][0]
    assert item["kind"] == "source"
    assert "build it with op stage_source" in client(op="install_one", **_pick(item))["error"]
    stage = client(op="stage_source", **_pick(item))["stage"]
    source, out = Path(stage["source_dir"]), Path(stage["out_dir"])
    assert (source / "DESCRIPTION").is_file()
    # what the R side does inside webR, here by hand: a built tree with Built: added
    (out / "pure").mkdir()
    text = (source / "DESCRIPTION").read_text() + "Built: R 4.6.0; ; 2026-12-04; unix\n"
    (out / "pure" / "DESCRIPTION").write_text(text)
    done = client(op="commit_stage", stage=stage["stage"])["installed"]
    assert done["package"] == "pure" and svc.library.versions()["pure"] == "1.0"
    assert not source.exists()


def test_install_a_file_uploaded_by_r(env, tmp_path: Path) -> None:
    client, svc, repo, *_ = env
    archive = build(Pkg("local", "3.0", imports="c"), tmp_path / "upload")
    status, _ = client.server and _upload(client, "blob-1", archive.read_bytes())
    assert status == 200
    plan = client(op="install_file", filename=archive.name, blob="blob-1")["plan"]
    assert [(i["package"], i["version"]) for i in plan] == [("c", "0.5"), ("local", "3.0")]
    for item in plan:
        assert "installed" in client(op="install_one", **_pick(item))
    assert svc.library.versions() == {"c": "0.5", "local": "3.0"}


def _pick(item: dict) -> dict:
    return {k: item[k] for k in ("version", "source")} | {"package": item["package"]}


def _upload(client: Client, blob_id: str, data: bytes) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", client.server.port, timeout=60)
    try:
        conn.request("POST", f"/{client.server.secret}/api/blob", body=data,
                     headers={"Host": f"127.0.0.1:{client.server.port}", "X-Blob-Id": blob_id})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_r_builds_a_source_package_in_memory_and_uploads_it(env, tmp_path: Path) -> None:
    import io
    import tarfile

    client, svc, repo, *_ = env
    item = client(op="plan", pkgs=["pure"])["plan"][0]
    status, data = client.raw(f"/{client.server.secret}/{PACKAGES_PATH}",
                              json.dumps({"op": "fetch_source", **_pick(item)}).encode())
    assert status == 200 and data[:2] == b"\x1f\x8b"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
    # what the R side does in webR's memory: add Built: and pack the built tree
    files["pure/DESCRIPTION"] += b"Built: R 4.6.0; ; 2026-12-04; unix\n"
    built = write_archive(tmp_path / "built.tgz", files)
    assert _upload(client, "built-1", built.read_bytes())[0] == 200
    done = client(op="install_built", blob="built-1", **_pick(item))
    assert done["installed"]["package"] == "pure" and svc.library.versions() == {"pure": "1.0"}
    # a "build" that isn't one is refused like any bad binary, the library unchanged
    before = tree_hash(svc.library.root.parent)
    files["pure/libs/pure.so"] = b"\x7fELF" + bytes(16)
    assert _upload(client, "built-2", write_archive(tmp_path / "bad.tgz", files).read_bytes())[0] == 200
    assert "compiled code not built for webR" in client(op="install_built", blob="built-2", **_pick(item))["error"]
    assert client(op="install_built", blob="never-uploaded", **_pick(item))["type"] == "BadRequest"
    assert tree_hash(svc.library.root.parent) == before
    binary = client(op="plan", pkgs=["c"])["plan"][0]
    assert "not a source package" in client(op="fetch_source", **_pick(binary))["error"]
