"""What the IDE imports before anything is used: heavy optional modules stay out.

numpy (and pyqtgraph with it) cost the GUI process ~20 MB of resident memory; only a quick
plot needs them, so they are imported at the first one (bench/memory.py measures the whole).
Checked in a fresh interpreter, because this test process may have imported them already.
"""

from __future__ import annotations

import subprocess
import sys

# Every module the composition root pulls in at start-up, the panes included.
_PROBE = """
import importlib, pkgutil, sys
import webr_desktop.app, webr_desktop.app.gui, webr_desktop.app.services, webr_desktop.app.window
import webr_desktop.app.panes as panes
for info in pkgutil.iter_modules(panes.__path__):
    importlib.import_module("webr_desktop.app.panes." + info.name)
print(" ".join(sorted(name for name in ("numpy", "pyqtgraph") if name in sys.modules)))
"""


def test_start_up_modules_do_not_import_numpy_or_pyqtgraph() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"imported at start-up: {out.stdout.strip()}"


def test_quick_plot_decode_imports_numpy_when_used() -> None:
    probe = (
        "import sys\n"
        "from webr_desktop.models.quick_plot import QuickPlotData\n"
        "assert 'numpy' not in sys.modules\n"
        "meta = dict(kind='line', n=2, has_x=False, title='', xlab='', ylab='')\n"
        "data = QuickPlotData.decode(meta, bytes(16))\n"
        "print(type(data.y).__module__, data.y.tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["numpy", "[0.0,", "0.0]"]
