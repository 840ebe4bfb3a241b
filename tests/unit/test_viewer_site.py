"""The Viewer's private site over real HTTP: pages published under fresh paths, nothing else
answered, hostile archives refused, links never followed."""

from __future__ import annotations

import http.client
import io
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from webr_desktop.server.viewer_site import SiteError, ViewerSite


def archive(files: dict[str, bytes], extra=None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if extra:
            extra(tar)
    return buf.getvalue()


PAGE = {"index.html": b"<html><script src='lib/a.js'></script></html>", "lib/a.js": b"ran = 1;",
        "lib/a.css": b"body{}"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[ViewerSite]:
    s = ViewerSite(tmp_path / "site")
    (tmp_path / "site").mkdir()
    s.start()
    yield s
    s.close()


def get(site: ViewerSite, path: str, method: str = "GET", host: str | None = None) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    conn.putrequest(method, path, skip_host=True)
    conn.putheader("Host", host or f"127.0.0.1:{site.port}")
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body, dict(resp.getheaders())


def test_a_page_and_its_files_are_served_under_a_fresh_path(site: ViewerSite) -> None:
    one = site.publish(archive(PAGE), "index.html")
    two = site.publish(archive(PAGE), "index.html")
    assert one.token != two.token and len(one.token) >= 32
    assert one.url == f"{site.origin}/{one.token}/index.html"
    status, body, headers = get(site, f"/{one.token}/lib/a.js")
    assert (status, body) == (200, b"ran = 1;") and headers["Content-Type"] == "text/javascript"
    assert get(site, f"/{one.token}/index.html")[2]["Content-Type"].startswith("text/html")
    assert site.locate(f"{site.origin}/{one.token}/lib/a.css#x") == (one.folder, "lib/a.css")
    assert site.locate("http://127.0.0.1:1/x/index.html") is None


@pytest.mark.parametrize(
    "path", ["/", "/nope/index.html", "/{t}/../{t}/index.html", "/{t}/%2e%2e/x", "/{t}/lib", "/{t}/missing",
             "/api/drive", "/{t}/index.html%00"],
)
def test_anything_else_is_not_found(site: ViewerSite, path: str) -> None:
    page = site.publish(archive(PAGE), "index.html")
    assert get(site, path.format(t=page.token))[0] == 404


def test_only_get_and_head_and_only_our_host(site: ViewerSite) -> None:
    page = site.publish(archive(PAGE), "index.html")
    assert get(site, f"/{page.token}/index.html", "POST")[0] == 405
    assert get(site, f"/{page.token}/index.html", "HEAD")[0] == 200
    assert get(site, f"/{page.token}/index.html", host="evil.example:80")[0] == 403


def test_a_link_put_into_a_published_folder_is_not_followed(site: ViewerSite, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    page = site.publish(archive(PAGE), "index.html")
    os.symlink(secret, page.folder / "lib" / "leak.txt")
    os.symlink(tmp_path, page.folder / "up")
    assert get(site, f"/{page.token}/lib/leak.txt")[0] == 404
    assert get(site, f"/{page.token}/up/secret.txt")[0] == 404


def _symlink(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("lib/passwd")
    info.type = tarfile.SYMTYPE
    info.linkname = "/etc/passwd"
    tar.addfile(info)


def _fifo(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("pipe")
    info.type = tarfile.FIFOTYPE
    tar.addfile(info)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (archive({**PAGE, "../evil.html": b"x"}), "outside its folder"),
        (archive({**PAGE, "/etc/evil": b"x"}), "outside its folder"),
        (archive(PAGE, _symlink), "link or special file"),
        (archive(PAGE, _fifo), "link or special file"),
        (archive(PAGE)[:40], "can't be read"),
        (b"not an archive", "can't be read"),
        (archive({"other.html": b"x"}), "is not in what R sent"),
    ],
)
def test_hostile_or_broken_pages_are_refused_and_leave_nothing(site: ViewerSite, data: bytes, why: str) -> None:
    before = sorted(site.root.iterdir())
    with pytest.raises(SiteError, match=why):
        site.publish(data, "index.html")
    assert sorted(site.root.iterdir()) == before
    assert not (site.root.parent / "evil.html").exists()


def test_an_archive_bomb_is_refused(site: ViewerSite, monkeypatch) -> None:
    monkeypatch.setattr("webr_desktop.server.viewer_site.MAX_SITE_BYTES", 1000)
    with pytest.raises(SiteError, match="over"):
        site.publish(archive({**PAGE, "big.bin": b"\0" * 2000}), "index.html")
