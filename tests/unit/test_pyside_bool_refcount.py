"""Guard against PySide6 6.12.0's refcount bug: emitting a bool over-decrefs True.

After ~1000 emits the interpreter aborts ("bool_dealloc: deallocating True or False"), and the
app emits bools all the time (busy state). Run in a subprocess so a regression fails this test
instead of killing the test session.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtCore import QObject, Signal, QCoreApplication
app = QCoreApplication([])
class A(QObject):
    s_bool = Signal(bool)
    s_obj = Signal(object)
a = A()
got = []
a.s_bool.connect(got.append)
a.s_obj.connect(got.append)
before = sys.getrefcount(True)
for _ in range(3000):
    a.s_bool.emit(True)
    a.s_obj.emit(True)
got.clear()
print(sys.getrefcount(True) - before)
"""


def test_emitting_bools_keeps_true_alive() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert abs(int(result.stdout.strip())) < 10
