"""Plot-heavy code in the GUI session must not eat the renderer's memory (issue 19 item 10).

webR's canvas device sends one 4 MB ImageBitmap per low-level drawing call and the renderer
never frees them (800 points() calls: +2.3 GB measured, demo(hclColors): 16 GB and a killed
renderer). resources/worker/canvas_mend.js sends whole pages as pixels instead; these tests
measure the QtWebEngine renderer processes through /proc, with the real webR and page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from webr_desktop.models.plot_history import PlotHistory
from webr_desktop.models.plot_service import PlotService
from tests.webengine.driver import RDriver

pytestmark = pytest.mark.webengine

VIEW = (400, 300)
PLOT_TIMEOUT = 30_000
# 800 points() calls: +0 to +60 MB of renderer RSS measured with the mend, +2.3 GB without
# (about 2.9 MB a call). Only the leak breaks these bounds.
GROWTH_BOUND_MB = 600
RENDERER_BOUND_MB = 1500  # the bound for the whole app; the renderer is what grows


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def renderer_rss_mb() -> float:
    """Resident memory of this process's QtWebEngine processes, in MB: the renderers (webR's
    worker runs in them) and the zygotes they fork from (about 40-50 MB each; a forked
    renderer keeps the zygote's command line, so it can't be told apart by it)."""
    kids = _children()
    todo, total = list(kids.get(os.getpid(), [])), 0
    while todo:
        pid = todo.pop()
        todo.extend(kids.get(pid, []))
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if b"QtWebEngineProcess" not in cmdline.split(b"\0", 1)[0]:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])  # kB
    return total / 1024


@pytest.fixture
def plots(qtbot, shared: RDriver) -> Iterator[PlotService]:
    svc = PlotService(shared.session, PlotHistory())
    svc.set_view_size(*VIEW)
    shared.run(qtbot, "graphics.off()")
    yield svc
    svc.deleteLater()


def red(png: bytes) -> int:
    img = QImage.fromData(png, "PNG")
    assert not img.isNull()
    return sum(
        1 for x in range(0, img.width(), 4) for y in range(0, img.height(), 4)
        if (c := img.pixelColor(x, y)).red() > 200 and c.green() < 80 and c.blue() < 80
    )


def test_800_points_calls_keep_the_renderer_under_the_bound(qtbot, shared: RDriver, plots: PlotService) -> None:
    shared.run(qtbot, "plot(0:1, 0:1, type = 'n')")
    qtbot.waitUntil(lambda: len(plots.history) == 1, timeout=PLOT_TIMEOUT)
    assert renderer_rss_mb() > 100, "no QtWebEngine renderer found under this process"
    before = renderer_rss_mb()
    shared.run(qtbot, "set.seed(1); for (i in 1:800) points(runif(1), runif(1), col = 'red', pch = 19)",
               timeout=300_000)
    qtbot.waitUntil(lambda: red(plots.history.current.png) > 100, timeout=PLOT_TIMEOUT)  # all drawn
    after = renderer_rss_mb()
    assert after - before < GROWTH_BOUND_MB, f"renderer grew from {before:.0f} to {after:.0f} MB"
    assert after < RENDERER_BOUND_MB, f"renderer at {after:.0f} MB"
    assert len(plots.history) == 1  # one page, not one entry per call


def test_the_last_drawing_call_reaches_the_pane(qtbot, shared: RDriver, plots: PlotService) -> None:
    # The worker sends a page when R waits: the last call of a command is never left behind,
    # on the live device and on one the app closes again (a re-render at a new size).
    shared.run(qtbot, "plot(1:10)")
    qtbot.waitUntil(lambda: len(plots.history) == 1, timeout=PLOT_TIMEOUT)
    entry = plots.history.current
    shared.run(qtbot, "rect(2, 2, 9, 9, col = 'red')")
    qtbot.waitUntil(lambda: red(entry.png) > 1000, timeout=PLOT_TIMEOUT)
    plots.set_view_size(300, 200)
    qtbot.waitUntil(lambda: (entry.width, entry.height) == (600, 400), timeout=PLOT_TIMEOUT)
    assert red(entry.png) > 500


def test_a_plot_shows_while_r_is_still_busy(qtbot, shared: RDriver, plots: PlotService) -> None:
    # Drawing then computing: the page goes out from R's event polls, not only at the prompt.
    # (The plot reaches the history in 0.1-2.4 s, loaded; R sleeps 8 s.)
    prompts = shared.prompts
    shared.session.write_console("plot(1:10, col = 'red', pch = 19, cex = 3); Sys.sleep(8); cat('slept\\n')")
    qtbot.waitUntil(lambda: len(plots.history) == 1 and red(plots.history.current.png) > 50, timeout=PLOT_TIMEOUT)
    assert ("stdout", "slept") not in shared.events  # still sleeping when the plot came
    qtbot.waitUntil(lambda: shared.prompts > prompts, timeout=PLOT_TIMEOUT)
    assert ("stdout", "slept") in shared.events
