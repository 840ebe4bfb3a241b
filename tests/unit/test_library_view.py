"""The library as webR sees it: manifests, load bundles and the read-only file route, against
hostile requests and hostile trees (links out of the library, odd names), over a real server."""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path

import pytest

from webr_desktop.server.library_view import LIBRARY_PATH, LIBRARY_PREFIX, LibraryView, bundle, manifest
from webr_desktop.server.local_server import LocalServer


def _package(root: Path, name: str, files: dict[str, bytes]) -> Path:
    folder = root / name
    for rel, data in {"DESCRIPTION": f"Package: {name}\nVersion: 1.0\n".encode(), **files}.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library" / "R-4.6"
    root.mkdir(parents=True)
    _package(root, "pkgA", {"NAMESPACE": b"export(f)\n", "Meta/package.rds": b"rds", "R/pkgA": b"loader",
                            "R/pkgA.rdx": b"index", "R/pkgA.rdb": b"x" * 5000, "help/pkgA.rdb": b"help"})
    (tmp_path / "secret.txt").write_text("outside the library")
    os.symlink(tmp_path / "secret.txt", root / "pkgA" / "R" / "leak")  # a link out: never listed nor served
    os.symlink(tmp_path, root / "linkpkg")  # a package folder that is a link
    (root / "notapkg").mkdir()  # no DESCRIPTION
    (root / "stray.txt").write_text("x")
    _package(root, "bad_name", {})  # not an R package name
    return root


def test_manifest_lists_packages_files_and_sizes_and_nothing_else(library: Path) -> None:
    m = manifest(library)["packages"]
    assert list(m) == ["pkgA"]
    entry = m["pkgA"]
    assert entry["dirs"] == ["Meta", "R", "help"]
    assert ["R/pkgA.rdb", 5000] in entry["files"]
    assert not any(rel.endswith("leak") for rel, _ in entry["files"])


def test_manifest_of_names_marks_removed_packages(library: Path) -> None:
    assert manifest(library, ["pkgA", "gone", "linkpkg"])["packages"]["gone"] is None
    _package(library.parent, "elsewhere", {})
    os.symlink(library.parent / "elsewhere", library / "elsewhere")  # a real package, behind a link
    assert manifest(library, ["elsewhere"])["packages"]["elsewhere"] is None
    assert "elsewhere" not in manifest(library)["packages"]
    assert manifest(library, ["../x", "a/b"])["packages"] == {}


def _header(data: bytes) -> list[list]:
    n = int.from_bytes(data[:4], "big")
    header = json.loads(data[4:4 + n])
    assert len(data) == 4 + n + sum(size for _, size in header)
    return header


def test_bundle_holds_what_library_reads_with_its_dependencies(library: Path) -> None:
    big = b"y" * (200 * 1024)  # a lazy-load database too big to come along
    _package(library, "pkgB", {"NAMESPACE": b"", "R/pkgB.rdb": big, "R/pkgB.rdx": b"i", "help/x": b"h"})
    (library / "pkgB" / "DESCRIPTION").write_text("Package: pkgB\nVersion: 1.0\nDepends: R (>= 4.0), stats\n"
                                                  "Imports: pkgA (>= 1.0),\n  nosuch\n")
    names = [rel for rel, _ in _header(bundle(library, "pkgB"))]
    assert names == ["pkgB/DESCRIPTION", "pkgB/NAMESPACE", "pkgB/R/pkgB.rdx",
                     "pkgA/DESCRIPTION", "pkgA/NAMESPACE", "pkgA/Meta/package.rds", "pkgA/R/pkgA",
                     "pkgA/R/pkgA.rdb", "pkgA/R/pkgA.rdx"]  # no help, no big database, no link
    assert [rel for rel, _ in _header(bundle(library, "pkgB", ["pkgA"]))] == names[:3]  # the worker has pkgA
    empty = b"\x00\x00\x00\x02[]"
    assert bundle(library, "../etc") == bundle(library, "nosuch") == empty
    _package(library.parent, "elsewhere", {"NAMESPACE": b"x"})
    os.symlink(library.parent / "elsewhere", library / "elsewhere")
    assert bundle(library, "elsewhere") == empty  # never through a link


@pytest.fixture
def served(library: Path):
    server = LocalServer()
    server.mount(LIBRARY_PREFIX, library)
    server.add_handler(LIBRARY_PATH, LibraryView(library).handle)
    server.start()
    yield server
    server.close()


def _request(server: LocalServer, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request(method, path, body=body, headers={"Host": f"127.0.0.1:{server.port}"})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def test_files_are_served_read_only_behind_the_secret(served: LocalServer) -> None:
    base = f"/{served.secret}/{LIBRARY_PREFIX}"
    assert _request(served, "GET", f"{base}/pkgA/R/pkgA.rdx") == (200, b"index")
    assert _request(served, "GET", f"/{LIBRARY_PREFIX}/pkgA/DESCRIPTION")[0] == 403  # no secret
    assert _request(served, "GET", f"/wrong/{LIBRARY_PREFIX}/pkgA/DESCRIPTION")[0] == 403
    assert _request(served, "PUT", f"{base}/pkgA/DESCRIPTION", b"Package: evil\n")[0] == 405
    assert _request(served, "POST", f"{base}/pkgA/DESCRIPTION", b"x")[0] == 405
    assert _request(served, "GET", f"{base}/pkgA/R/leak")[0] == 404  # a link out of the library
    assert _request(served, "GET", f"{base}/linkpkg/secret.txt")[0] == 404
    assert _request(served, "GET", f"{base}/pkgA/../../secret.txt")[0] == 404
    assert _request(served, "GET", f"{base}/pkgA/%2e%2e/%2e%2e/secret.txt")[0] == 404


def test_the_manifest_route_refuses_what_no_honest_client_sends(served: LocalServer) -> None:
    url = f"/{served.secret}/{LIBRARY_PATH}"
    status, data = _request(served, "POST", url, b'{"op": "manifest"}')
    assert status == 200 and list(json.loads(data)["packages"]) == ["pkgA"]
    for body in (b"not json", b'{"op": "delete"}', b'{"op": "manifest", "packages": "pkgA"}',
                 b'{"op": "manifest", "packages": ["../x"]}', b'{"op": "bundle", "package": "../../etc"}',
                 b'{"op": "bundle", "package": "pkgA", "have": "pkgA"}', b"[]"):
        assert _request(served, "POST", url, body)[0] == 400, body
    assert _request(served, "POST", f"/{LIBRARY_PATH}", b'{"op": "manifest"}')[0] == 403
    assert _request(served, "GET", url)[0] == 405
