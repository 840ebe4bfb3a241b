"""PackageService over real loopback repositories, local folders and the cache."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.fixtures.packages import BIN, SRC, Pkg, RepoServer, build, chain, make_repo, tree_hash
from webr_desktop.core.packages import dcf, sources
from webr_desktop.core.packages.cache import PackageCache
from webr_desktop.core.packages.errors import ChecksumError, NotFoundError, OfflineError, PackageError
from webr_desktop.core.packages.library import Library
from webr_desktop.core.packages.model import Candidate
from webr_desktop.core.packages.search import SearchIndex
from webr_desktop.core.packages.service import PackageService


def service_for(tmp_path: Path, *locations: str | Path, name: str = "svc") -> PackageService:
    return PackageService.from_config(repos=[str(x) for x in locations], library_root=tmp_path / name / "lib" / "R-4.6",
                                      cache_root=tmp_path / name / "cache")


@pytest.fixture()
def repo(tmp_path: Path):
    root = make_repo(tmp_path / "repo", [*chain(), Pkg("lonely", "0.1", title="Lonely Planet Guide")])
    with RepoServer(root) as server:
        yield server


def test_install_a_versioned_chain_over_http(tmp_path: Path, repo: RepoServer) -> None:
    svc = service_for(tmp_path, repo.url)
    plan = svc.plan(["a"])
    assert [(i.name, i.version, i.source, i.kind) for i in plan] == [
        ("c", "0.5", repo.url, "binary"), ("b", "1.1", repo.url, "binary"), ("a", "1.0", repo.url, "binary")]
    assert all(i.size and i.size > 100 for i in plan)  # sizes known before any download
    assert not repo.gets(".tgz")
    events = []
    done = svc.install(plan, events.append)
    assert [p.name for p in done] == ["c", "b", "a"]
    assert svc.library.versions() == {"a": "1.0", "b": "1.1", "c": "0.5"}
    assert {p.source for p in svc.installed()} == {repo.url}
    phases = [(e.package, e.phase) for e in events if e.phase != "download"]
    assert phases.index(("a", "install")) < phases.index(("a", "done")) and phases[-1] == ("a", "done")
    assert any(e.phase == "download" and e.done == e.total for e in events)


def test_update_and_old_packages(tmp_path: Path, repo: RepoServer) -> None:
    svc = service_for(tmp_path, repo.url)
    svc.install(svc.plan(["a"]))
    assert svc.old_packages() == []
    build(Pkg("a", "2.0", imports="b (>= 1.1)"), repo.root / BIN)
    make_repo(repo.root)  # rewrite the index
    svc.refresh()
    assert svc.old_packages() == [{"package": "a", "installed": "1.0", "available": "2.0",
                                   "source": repo.url, "kind": "binary"}]
    plan = svc.plan(["a"])
    assert [(i.name, i.version) for i in plan] == [("a", "2.0")]  # deps already satisfied
    svc.install(plan)
    assert svc.library.versions()["a"] == "2.0" and svc.old_packages() == []
    assert svc.remove(["a", "nope"]) == ["a"] and "a" not in svc.library.versions()


def test_index_uses_etag_and_the_last_good_index_works_offline(tmp_path: Path, repo: RepoServer) -> None:
    svc = service_for(tmp_path, repo.url)
    first = svc.refresh()[0]
    assert first.ok and not first.stale and first.count == 4
    svc.refresh()
    gets = repo.gets(f"{BIN}/PACKAGES.gz")
    assert len(gets) == 2 and gets[1][2].get("If-None-Match") and gets[1][2].get("If-Modified-Since")
    assert [st for path, st in repo.statuses if path == f"{BIN}/PACKAGES.gz"] == [200, 304]
    svc.install(svc.plan(["a"]))
    repo.stop()
    again = service_for(tmp_path, repo.url)  # a new process: index and archives from disk
    status = again.refresh()[0]
    assert status.ok and status.stale and "index unreachable" in (status.error or "")
    assert [c.name for c in again.available("lonely")] == ["lonely"]
    assert again.remove(["a", "b", "c"]) == ["a", "b", "c"]
    again.install(again.plan(["a"]))  # from the package cache, nothing downloaded
    assert again.library.versions() == {"a": "1.0", "b": "1.1", "c": "0.5"}
    with pytest.raises(OfflineError, match="'lonely' 0.1 isn't in the package cache and .* can't be reached"):
        again.install(again.plan(["lonely"]))


def test_cache_alone_serves_when_no_index_was_ever_fetched(tmp_path: Path, repo: RepoServer) -> None:
    svc = service_for(tmp_path, repo.url)
    svc.install(svc.plan(["a"]))
    shutil.rmtree(tmp_path / "svc" / "cache" / "indexes")
    repo.stop()
    svc.remove(["a", "b", "c"])
    svc.refresh()
    plan = svc.plan(["a"])
    assert {i.source for i in plan} == {"cache"}
    svc.install(plan)
    assert {p.source for p in svc.installed()} == {repo.url}  # recorded where it first came from


def test_md5_mismatch_is_refused_and_not_cached(tmp_path: Path, repo: RepoServer) -> None:
    svc = service_for(tmp_path, repo.url)
    svc.install(svc.plan(["c"]))
    before = tree_hash(svc.library.root.parent)
    repo.overrides[f"{BIN}/b_1.1.tgz"] = (repo.root / BIN / "c_0.5.tgz").read_bytes()
    with pytest.raises(ChecksumError, match=r"checksum mismatch for 'b' 1.1 .*discarded and nothing was installed"):
        svc.install(svc.plan(["a"]))
    assert tree_hash(svc.library.root.parent) == before
    assert not list((tmp_path / "svc" / "cache" / "archives").glob("b_*"))


def test_a_failing_plan_installs_none_of_its_packages(tmp_path: Path, repo: RepoServer) -> None:
    index = repo.root / BIN / "PACKAGES"
    good = hashlib.md5((repo.root / BIN / "a_1.0.tgz").read_bytes()).hexdigest()
    bad = b"\x1f\x8b not really gzip"
    (repo.root / BIN / "a_1.0.tgz").write_bytes(bad)
    text = index.read_text().replace(good, hashlib.md5(bad).hexdigest())
    index.write_text(text)  # the index agrees with the broken file: the archive check must catch it
    (repo.root / BIN / "PACKAGES.gz").write_bytes(gzip.compress(text.encode()))
    svc = service_for(tmp_path, repo.url)
    svc.install(svc.plan(["lonely"]))
    before = tree_hash(svc.library.root.parent)
    with pytest.raises(PackageError, match="truncated or corrupt"):
        svc.install(svc.plan(["a"]))
    assert tree_hash(svc.library.root.parent) == before  # c and b were fine but weren't installed


def test_not_found_lists_the_sources(tmp_path: Path, repo: RepoServer) -> None:
    svc = service_for(tmp_path, repo.url)
    with pytest.raises(NotFoundError, match=rf"'ghost' is not available from: {repo.url}, cache"):
        svc.plan(["ghost"])


def test_local_flat_folder_is_indexed_from_each_archive(tmp_path: Path) -> None:
    folder = tmp_path / "flat"
    for pkg in (*chain(), Pkg("pure", "1.0", built=None, imports="c")):
        build(pkg, folder)
    (folder / "junk.tgz").write_bytes(b"nope")
    svc = service_for(tmp_path, folder)
    status = svc.refresh()[0]
    assert status.ok and status.count == 4 and "junk.tgz" in (status.error or "")
    assert not (folder / "PACKAGES").exists()  # the user's folder is never written
    assert {c.name: c.kind for c in svc.available()} == {"a": "binary", "b": "binary", "c": "binary", "pure": "source"}
    svc.install(svc.plan(["a"]))
    assert svc.library.versions() == {"a": "1.0", "b": "1.1", "c": "0.5"}
    assert {p.source for p in svc.installed()} == {str(folder)}
    plan = svc.plan(["pure"])
    assert [(i.name, i.kind) for i in plan] == [("pure", "source")]
    with pytest.raises(PackageError, match="source package: it is built inside webR"):
        svc.install(plan)
    staged = svc.stage_source(plan[0])
    assert (Path(staged["source_dir"]) / "R" / "pure.R").is_file() and Path(staged["out_dir"]).is_dir()
    svc.stages.discard(staged["stage"])


def test_local_rwasm_layout_and_src_contrib(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "local", [*chain(), Pkg("pure", "1.0", built=None)])
    svc = service_for(tmp_path, root)
    assert {(c.name, c.kind) for c in svc.available()} >= {("a", "binary"), ("pure", "source")}
    assert (root / SRC / "PACKAGES").is_file()
    svc.install(svc.plan(["a"]))
    assert svc.library.versions() == {"a": "1.0", "b": "1.1", "c": "0.5"}


def test_seed_writes_a_repository_this_app_reads(tmp_path: Path, repo: RepoServer) -> None:
    svc = service_for(tmp_path, repo.url)
    out = tmp_path / "seeded"
    written = svc.seed(["a"], out)
    assert sorted(p.name for p in written) == ["a_1.0.tgz", "b_1.1.tgz", "c_0.5.tgz"]
    records = dcf.parse(gzip.decompress((out / BIN / "PACKAGES.gz").read_bytes()).decode())
    assert [r["Package"] for r in records] == ["a", "b", "c"] and all(len(r["MD5sum"]) == 32 for r in records)
    assert svc.library.versions() == {}  # seeding installs nothing
    repo.stop()
    offline = service_for(tmp_path, out, name="classroom")
    offline.install(offline.plan(["a"]))
    assert offline.library.versions() == {"a": "1.0", "b": "1.1", "c": "0.5"}
    with RepoServer(out) as served:  # and the same folder served over HTTP is a repository
        other = service_for(tmp_path, served.url, name="served")
        assert [i.name for i in other.plan(["a"])] == ["c", "b", "a"]


def test_two_installs_through_the_service_queue(tmp_path: Path, repo: RepoServer) -> None:
    svc = service_for(tmp_path, repo.url)
    plan_a, plan_l = svc.plan(["a"]), svc.plan(["lonely"])
    hold, queued, order = threading.Event(), threading.Event(), []

    def slow(event) -> None:
        if event.phase == "download" and event.package == "c":
            hold.wait(30)

    def note(event) -> None:
        if event.phase == "queued":
            queued.set()
        if event.phase == "done":
            order.append(event.package)

    t1 = threading.Thread(target=svc.install, args=(plan_a, slow))
    t1.start()
    t2 = threading.Thread(target=svc.install, args=(plan_l, note))
    t2.start()
    assert queued.wait(30)
    hold.set()
    t1.join(30)
    t2.join(30)
    assert order == ["lonely"] and set(svc.library.versions()) == {"a", "b", "c", "lonely"}


def test_sources_config_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sources.json"
    assert sources.load_config(path) == [sources.SourceConfig("repo", sources.DEFAULT_REPO)]
    configs = [sources.SourceConfig("local", "/media/usb/repo"), sources.SourceConfig("repo", "http://127.0.0.1:9", False)]
    sources.save_config(path, configs)
    assert sources.load_config(path) == configs
    with pytest.raises(ValueError):
        sources.SourceConfig("repo", "file:///etc")


def test_search_of_twenty_thousand_entries_is_quick() -> None:
    entries = [Candidate(f"pkg{i:05d}", "1.0", "r", "binary", "http://x", {"Title": f"Tools number {i} for things"})
               for i in range(20_000)]
    entries.append(Candidate("R6", "2.5.1", "r", "binary", "http://x", {"Title": "Encapsulated Classes"}))
    index = SearchIndex(entries)
    start = time.perf_counter()
    hits = index.search("r6")
    many = index.search("tools pkg01999")
    elapsed = time.perf_counter() - start
    assert hits[0].name == "R6" and [c.name for c in many] == ["pkg01999"]
    assert elapsed < 5.0  # a hang-only bound; the 50 ms goal is measured in bench/packages.py


def test_a_hostile_index_offers_nothing_outside_its_folder(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "usb", chain())
    secret = tmp_path / "secret_1.0.tgz"
    build(Pkg("secret"), tmp_path).rename(secret)
    index = root / BIN / "PACKAGES"
    index.write_text(index.read_text() + "\nPackage: secret\nVersion: 1.0\nFile: ../../../../secret_1.0.tgz\n"
                     "\nPackage: ../evil\nVersion: 1.0\n\nPackage: okname\nVersion: 1.0\nFile: .hidden.tgz\n")
    (root / BIN / "PACKAGES.gz").unlink()
    svc = service_for(tmp_path, root)
    names = {c.name for c in svc.available()}
    assert names == {"a", "b", "c"}


def test_not_found_says_which_sources_were_unreachable(tmp_path: Path, repo: RepoServer) -> None:
    svc = service_for(tmp_path, repo.url, tmp_path / "no-such-folder")
    svc.refresh()
    repo.stop()
    svc.refresh()
    with pytest.raises(NotFoundError) as info:
        svc.plan(["ghost"])
    message = str(info.value)
    assert f"{repo.url} (index unreachable: " in message and "its saved index was used" in message
    assert f"{tmp_path / 'no-such-folder'} (folder not found)" in message
    fresh = service_for(tmp_path, repo.url, name="never-online")
    with pytest.raises(NotFoundError, match=rf"{repo.url} \(index unreachable: .*\), cache$"):
        fresh.plan(["a"])


def test_set_sources_takes_effect_on_next_use(tmp_path: Path, repo: RepoServer) -> None:
    folder = tmp_path / "flat"
    build(Pkg("onlylocal", "1.0"), folder)
    svc = service_for(tmp_path, repo.url)
    assert "onlylocal" not in {c.name for c in svc.available()}
    svc.set_sources([sources.SourceConfig("local", str(folder)), sources.SourceConfig("repo", repo.url)])
    assert {c.name for c in svc.available()} == {"onlylocal", "a", "b", "c", "lonely"}
    assert [s.source for s in svc.statuses] == [str(folder), repo.url, "cache"]


def test_a_repository_of_sources_only_is_fine_and_a_wrong_url_says_so(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "cranlike", [Pkg("pure", built=None)])
    (tmp_path / "nothing").mkdir()
    with RepoServer(root) as cran, RepoServer(tmp_path / "nothing") as empty:
        svc = service_for(tmp_path, cran.url, empty.url)
        good, bad, _cache = svc.refresh()
        assert good.ok and not good.stale and good.error is None and good.count == 1
        assert not bad.ok and bad.error == (f"no package index at {empty.url}/bin/emscripten/contrib/4.6 "
                                            f"or {empty.url}/src/contrib")


def test_a_download_that_breaks_off_is_a_clear_error(tmp_path: Path, repo: RepoServer) -> None:
    svc = service_for(tmp_path, repo.url)
    svc.install(svc.plan(["c"]))
    before = tree_hash(svc.library.root.parent)
    repo.cut[f"{BIN}/b_1.1.tgz"] = 100
    with pytest.raises(OfflineError, match=r"the download of 'b' from .* broke off"):
        svc.install(svc.plan(["a"]))
    assert tree_hash(svc.library.root.parent) == before
    assert not list((tmp_path / "svc" / "cache" / "archives").glob("b_*"))
    assert not list((tmp_path / "svc" / "cache" / "archives").glob(".download-*"))


def test_a_repository_an_installer_ships_is_the_first_source_offline(tmp_path: Path, repo: RepoServer,
                                                                   monkeypatch) -> None:
    """make installer SEED_REPO=DIR puts a seeded repository in the bundle (_packages): a new
    user's sources start with it, so its packages install with no network at all."""
    from webr_desktop.core import paths
    from webr_desktop.core.packages.service import PackageService
    from webr_desktop.core.packages.sources import DEFAULT_REPO, SourceConfig, load_config

    def offline_label(service: PackageService) -> str:
        return service.statuses[0].source if service.statuses else ""

    shipped = tmp_path / "bundle" / "_packages"
    service_for(tmp_path, repo.url).seed(["a"], shipped)
    repo.stop()
    monkeypatch.setattr(paths, "bundled_packages_dir", lambda: shipped)
    assert load_config(tmp_path / "no-config-yet.json") == [SourceConfig("local", str(shipped)),
                                                            SourceConfig("repo", DEFAULT_REPO)]
    offline = PackageService.from_config(config_file=tmp_path / "no-config-yet.json",
                                         library_root=tmp_path / "user-lib", cache_root=tmp_path / "user-cache")
    plan = offline.plan(["a"])
    assert [i.name for i in plan] == ["c", "b", "a"] and {i.source for i in plan} == {offline_label(offline)}
    offline.install(plan)
    assert offline.library.versions() == {"a": "1.0", "b": "1.1", "c": "0.5"}
