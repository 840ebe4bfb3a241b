"""The Packages pane's list of webR's system library: R lists it once per webR and R version,
later refreshes and app runs take it from memory or the user cache (models/system_library.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from webr_desktop.models.packages import SYSTEM, PackagesModel
from webr_desktop.models.packages_service import PackagesService

REFRESH_TIMEOUT_MS = 60_000  # a hang bound: a refresh takes 20 ms-1 s


def _service(shared, qtbot, cache: Path) -> PackagesService:
    """A service as the pane makes one: it refreshes at once, R being up."""
    service = PackagesService(shared.session, PackagesModel(), None, system_cache=cache)
    qtbot.waitUntil(lambda: not service.busy and service.last_refresh_ms is not None, timeout=REFRESH_TIMEOUT_MS)
    return service


def _groups(service: PackagesService) -> dict[str, list[tuple[str, str]]]:
    return {g.kind: sorted((r.name, r.version) for r in g.rows) for g in service.model.groups()}


def _refresh(qtbot, service: PackagesService) -> dict[str, list[tuple[str, str]]]:
    with qtbot.waitSignal(service.sig_refreshed, timeout=REFRESH_TIMEOUT_MS):
        service.refresh()
    return _groups(service)


@pytest.fixture
def asks(shared, monkeypatch) -> list[str]:
    """The .wd.pkg_state calls the session sends to R during the test."""
    sent: list[str] = []
    bridge = shared.session._bridge  # noqa: SLF001 - the one place that sees R's code as sent
    original = bridge.send

    def spy(op: str, **fields: object) -> None:
        if isinstance(fields.get("code"), str) and fields["code"].startswith(".wd.pkg_state"):
            sent.append(fields["code"])
        original(op, **fields)

    monkeypatch.setattr(bridge, "send", spy)
    return sent


@pytest.fixture
def services() -> Iterator[list[PackagesService]]:
    made: list[PackagesService] = []
    yield made
    for service in made:
        service.shutdown()
        service.deleteLater()


def test_system_library_is_listed_by_r_once_then_from_the_cache(shared, qtbot, tmp_path, services, asks) -> None:
    cache = tmp_path / "cache" / "system-library.json"
    first = _service(shared, qtbot, cache)
    services.append(first)
    listed = _groups(first)
    assert "stats" in {n for n, _ in listed[SYSTEM]}
    assert {"parallel", "tcltk"} <= {n for n, _ in listed[SYSTEM]}  # webR's lazily mounted ones too
    assert asks[-1].endswith("skip_system = FALSE)")
    saved = json.loads(cache.read_text(encoding="utf-8"))
    assert saved["key"].startswith("webR 0.6.0 R 4.6")
    assert {n for n, _ in listed[SYSTEM]} <= {r["name"] for r in saved["rows"]}  # (the pane hides translations)

    assert _refresh(qtbot, first) == listed  # the same list, now without R reading the system library
    assert asks[-1].endswith("skip_system = TRUE)")

    second = _service(shared, qtbot, cache)  # the next app run: from the file
    services.append(second)
    assert _groups(second) == listed
    assert asks[-1].endswith("skip_system = TRUE)")


@pytest.mark.parametrize("content", [
    "not json", '{"key": "webR 0.6.0 R 4.6.0"}', '{"key": "webR 0.0.1 R 1.0.0", "library": "/x", "rows": []}',
    '{"key": "KEY", "library": "/usr/lib/R/library", "rows": [{"name": "evil", "library": "/elsewhere"}]}',
])
def test_a_bad_or_stale_cache_file_is_ignored_and_r_lists_the_library(
    shared, qtbot, tmp_path, services, asks, content: str,
) -> None:
    cache = tmp_path / "system-library.json"
    key = f"webR {shared.session.info.webr_version} R {shared.session.info.r_version}"
    cache.write_text(content.replace("KEY", key), encoding="utf-8")
    service = _service(shared, qtbot, cache)
    services.append(service)
    listed = _groups(service)
    assert asks[-1].endswith("skip_system = FALSE)")
    assert "evil" not in {n for n, _ in listed[SYSTEM]} and "stats" in {n for n, _ in listed[SYSTEM]}
    assert json.loads(cache.read_text(encoding="utf-8"))["key"] == key  # rewritten from R's answer
