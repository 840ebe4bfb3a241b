"""Fakes stand in for services in widget tests only; they must offer the real signals."""

from __future__ import annotations

from PySide6.QtCore import Signal


def signal_names(cls: type) -> set[str]:
    """Names of the Qt signals a class declares (its own and inherited, not QObject's)."""
    return {
        name for name in dir(cls)
        if not name.startswith("_") and name.startswith("sig_") and isinstance(getattr(cls, name, None), Signal)
    }


def assert_same_signals(fake: type, real: type) -> None:
    missing = signal_names(real) - signal_names(fake)
    extra = signal_names(fake) - signal_names(real)
    assert not missing and not extra, f"fake {fake.__name__} differs from {real.__name__}: missing {missing}, extra {extra}"
