"""PackageEvents: the package route's callbacks reach every subscriber, a broken one harms none."""

from __future__ import annotations

import threading

from webr_desktop.core.package_events import PackageEvents


def test_fan_out_from_another_thread_and_unsubscribe() -> None:
    events = PackageEvents()
    got: list[tuple[str, object]] = []

    def broken(_value: object) -> None:
        raise RuntimeError("listener bug")

    events.subscribe(progress=broken, changed=broken)
    events.subscribe(progress=lambda e: got.append(("progress", e)), changed=lambda n: got.append(("changed", n)))
    reporter = threading.Thread(target=lambda: (events.progress("step"), events.changed(["a", "b"])))
    reporter.start()
    reporter.join()
    assert got == [("progress", "step"), ("changed", ["a", "b"])]
    events.unsubscribe(progress=broken, changed=broken)
    assert len(events._progress) == 1 and len(events._changed) == 1
