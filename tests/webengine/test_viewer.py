"""The Viewer pane as webr_desktop.app wires it: HTML that R writes shows with its script and
style, browseURL() works the same, web addresses go outside, hostile page script reaches
nothing of the app, and Save as HTML writes the page."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl

from tests.webengine.driver import ide_window
from webr_desktop.app import new_network
from webr_desktop.core.rcode import r_string
from webr_desktop.runtime.session import SessionState

pytestmark = pytest.mark.webengine
PAGES = Path(__file__).resolve().parent / "viewer_pages"


@pytest.fixture
def window(shared, qtbot, tmp_path: Path, monkeypatch) -> Iterator:
    opened: list[str] = []
    monkeypatch.setattr("PySide6.QtGui.QDesktopServices.openUrl", lambda url: opened.append(url.toString()))
    win, console = ide_window(shared, tmp_path)
    qtbot.addWidget(win)
    win.show()
    win.opened_urls = opened
    win.console = console
    yield win
    win.close()


def submit(shared, qtbot, console, code: str) -> None:
    prompts = shared.prompts
    console.submit(code)
    qtbot.waitUntil(lambda: shared.prompts > prompts and shared.session.state is SessionState.IDLE, timeout=20_000)


def write_page(shared, qtbot, folder: str, files: dict[str, str]) -> str:
    """Write files into a fresh folder of R's tempdir(); returns the folder's R path."""
    calls = [f"dir.create(file.path(d, dirname({r_string(n)})), recursive = TRUE, showWarnings = FALSE); "
             f"writeLines({r_string(t)}, file.path(d, {r_string(n)}))" for n, t in files.items()]
    return shared.eval(qtbot, f"local({{ d <- file.path(tempdir(), {r_string(folder)}); "
                              f"dir.create(d, showWarnings = FALSE); {'; '.join(calls)}; d }})")


def js(qtbot, pane, code: str):
    box: list = []
    pane.view.page().runJavaScript(code, 0, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


def widget_files() -> dict[str, str]:
    return {name: (PAGES / name).read_text() for name in ("index.html", "lib/widget.js", "lib/style.css")}


def show(shared, qtbot, window, code: str) -> None:
    with qtbot.waitSignal(window.viewer.sig_page_loaded, timeout=20_000) as loaded:
        submit(shared, qtbot, window.console, code)
    assert loaded.args == [True]


def test_the_viewer_option_shows_a_page_with_its_script_and_style(shared, qtbot, window) -> None:
    folder = write_page(shared, qtbot, "widget1", widget_files())
    show(shared, qtbot, window, f'getOption("viewer")(file.path({r_string(folder)}, "index.html"))')
    pane = window.viewer
    assert pane.current_url().startswith(pane.site.origin + "/") and pane.current_url().endswith("/index.html")
    assert js(qtbot, pane, "document.getElementById('out').textContent") == "widget ran"
    assert js(qtbot, pane, "getComputedStyle(document.getElementById('out')).color") == "rgb(1, 2, 3)"
    assert pane.isVisible() and not pane.visibleRegion().isEmpty()  # brought to the front
    first = pane.current_url()

    show(shared, qtbot, window, f'browseURL(file.path({r_string(folder)}, "index.html"))')  # same page again
    assert pane.current_url() != first  # a fresh, unguessable path per page shown
    assert js(qtbot, pane, "document.getElementById('out').textContent") == "widget ran"


def test_web_addresses_go_to_the_system_browser(shared, qtbot, window) -> None:
    submit(shared, qtbot, window.console, 'browseURL("https://www.r-project.org/")')
    qtbot.waitUntil(lambda: "https://www.r-project.org/" in window.opened_urls, timeout=10_000)


def test_save_as_html_and_open_in_browser(shared, qtbot, window, tmp_path: Path) -> None:
    folder = write_page(shared, qtbot, "widget2", widget_files())
    show(shared, qtbot, window, f'getOption("viewer")(file.path({r_string(folder)}, "index.html"))')
    target = tmp_path / "saved" / "page.html"
    target.parent.mkdir()
    window.viewer.save_html(target)
    qtbot.waitUntil(lambda: target.is_file() and "widget ran" in target.read_text(errors="replace"), timeout=20_000)
    copy = window.viewer.open_in_browser()
    assert copy is not None and (copy.parent / "lib" / "widget.js").is_file()
    assert window.opened_urls[-1] == QUrl.fromLocalFile(str(copy)).toString()


def test_hostile_page_script_reaches_no_app_endpoint_and_not_the_proxy(
    shared, qtbot, server, tmp_path: Path, monkeypatch,
) -> None:
    """With networking on and allow-all (the Viewer's request guard open to the web), only
    the origin split, the secret and the proxy's Origin lock stand between the page and the app."""
    monkeypatch.setattr("PySide6.QtGui.QDesktopServices.openUrl", lambda url: None)
    service, _downloads = new_network(shared.session, server)
    service.start()
    qtbot.waitUntil(lambda: service.is_on, timeout=15_000)
    window, console = ide_window(shared, tmp_path, network=service)
    qtbot.addWidget(window)
    window.console = console
    try:
        targets = f"window.TARGETS = {{app: '{server.origin}', proxy: 'ws://127.0.0.1:{service.port}/'}};"
        files = {"attack.html": (PAGES / "attack.html").read_text(), "attack.js": (PAGES / "attack.js").read_text(),
                 "targets.js": targets}
        folder = write_page(shared, qtbot, "attack", files)
        show(shared, qtbot, window, f'getOption("viewer")(file.path({r_string(folder)}, "attack.html"))')
        pane = window.viewer
        deadline = time.monotonic() + 20
        results: dict = {}
        while not results.get("done") and time.monotonic() < deadline:  # bounded: 20 s
            results = json.loads(js(qtbot, pane, "document.getElementById('results').textContent"))
            qtbot.wait(50)
        assert results == {"drive": "blocked", "page": "blocked", "fetch": "blocked", "sync": "blocked",
                           "proxy": "blocked", "done": True}
        assert server.secret not in js(qtbot, pane, "document.documentElement.outerHTML + location.href")
    finally:
        window.close()
        service.stop()


def test_navigation_off_the_viewer_origin_goes_to_the_browser(shared, qtbot, window) -> None:
    folder = write_page(shared, qtbot, "widget3", widget_files())
    show(shared, qtbot, window, f'getOption("viewer")(file.path({r_string(folder)}, "index.html"))')
    shown = window.viewer.current_url()
    js(qtbot, window.viewer, "location.href = 'https://cran.r-project.org/'; 0")
    qtbot.waitUntil(lambda: "https://cran.r-project.org/" in window.opened_urls, timeout=10_000)
    assert window.viewer.current_url() == shown  # the view stayed on its page


def test_with_networking_off_a_page_reaches_only_its_own_site(shared, qtbot, window) -> None:
    """ide_window runs without networking: the page's request to another loopback server is
    blocked by the Viewer's request guard (the server sees nothing), while its own files load."""
    from tests.webengine.net_targets import http_target

    seen: list[str] = []
    with http_target(seen) as port:
        files = {"offline.html": (PAGES / "offline.html").read_text(), "offline.js": (PAGES / "offline.js").read_text(),
                 "targets.js": f"window.TARGETS = {{other: 'http://127.0.0.1:{port}/'}};"}
        folder = write_page(shared, qtbot, "offline", files)
        show(shared, qtbot, window, f'getOption("viewer")(file.path({r_string(folder)}, "offline.html"))')
        out = "document.getElementById('out').textContent"
        qtbot.waitUntil(lambda: js(qtbot, window.viewer, out) != "waiting", timeout=10_000)
        assert js(qtbot, window.viewer, out) == "blocked" and seen == []


def test_a_package_vignette_opens_in_the_viewer(shared, qtbot, window, tmp_path: Path) -> None:
    """vignette() of real CRAN code: Debian's r-cran-rstudioapi ships HTML vignettes."""
    import shutil

    from tests.fixtures.debian_r import AptUnavailable, package_trees

    try:
        tree = package_trees(("r-cran-rstudioapi",))["rstudioapi"]
    except AptUnavailable as exc:
        pytest.skip(str(exc))
    shutil.copytree(tree, tmp_path / "vlib" / "rstudioapi")
    submit(shared, qtbot, window.console, f'vlib <- file.path(tempdir(), "vlib"); dir.create(vlib); '
                                          f'file.copy("{tmp_path}/vlib/rstudioapi", vlib, recursive = TRUE)')
    show(shared, qtbot, window, 'vignette("dialogs", package = "rstudioapi", lib.loc = vlib)')
    assert window.viewer.current_url().endswith("/dialogs.html")
    assert "dialog" in js(qtbot, window.viewer, "document.body.innerText").lower()
    show(shared, qtbot, window, 'browseVignettes("rstudioapi", lib.loc = vlib)')
    text = js(qtbot, window.viewer, "document.body.innerText")
    assert "Vignettes found by" in text and "File Dialogs" in text
