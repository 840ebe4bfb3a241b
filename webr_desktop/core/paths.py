"""Where the app's files live: bundled resources, the webR pin, and per-user data.

A source checkout keeps ``resources/`` and ``wasm/`` beside the package; a wheel carries
them inside the package as ``_resources`` and ``_wasm`` (see pyproject's force-include).
Per-user state goes under platformdirs so nothing is ever written into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "webr-desktop"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def source_checkout_root() -> Path | None:
    """The repository root when running from a checkout, else None."""
    root = _PACKAGE_DIR.parent
    if (root / "wasm" / "webr.lock.json").is_file() and (root / "pyproject.toml").is_file():
        return root
    return None


def resources_dir() -> Path:
    """Directory holding page JavaScript, R helper code and icons."""
    bundled = _PACKAGE_DIR / "_resources"
    if bundled.is_dir():
        return bundled
    root = source_checkout_root()
    if root is None:
        raise FileNotFoundError("webR Desktop resources are missing from this installation")
    return root / "resources"


def app_icon() -> Path:
    """The app's icon (SVG); installer/ renders the desktop's PNG sizes from it."""
    return resources_dir() / "icons" / "webr-desktop.svg"


def lock_file() -> Path:
    """The pinned webR version and its npm integrity."""
    bundled = _PACKAGE_DIR / "_wasm" / "webr.lock.json"
    if bundled.is_file():
        return bundled
    root = source_checkout_root()
    if root is None:
        raise FileNotFoundError("webr.lock.json is missing from this installation")
    return root / "wasm" / "webr.lock.json"


def bundled_runtime_dir() -> Path | None:
    """The verified webR an installer build carries inside the package, if there is one."""
    bundled = _PACKAGE_DIR / "_wasm" / "dist"
    return bundled if bundled.is_dir() else None


def bundled_packages_dir() -> Path | None:
    """A package repository an installer build ships (``make installer SEED_REPO=DIR``)."""
    bundled = _PACKAGE_DIR / "_packages"
    return bundled if bundled.is_dir() else None


def default_runtime_dir(version: str) -> Path:
    """Where webR lives: env override, checkout's wasm/dist, the bundle's copy, or user data."""
    override = os.environ.get("WEBR_DESKTOP_RUNTIME")
    if override:
        return Path(override)
    root = source_checkout_root()
    if root is not None:
        return root / "wasm" / "dist"
    bundled = bundled_runtime_dir()
    if bundled is not None:
        return bundled
    return user_data_dir() / "runtime" / f"webr-{version}"


def user_data_dir() -> Path:
    """Per-user persistent data (history, recovery files)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_cache_dir() -> Path:
    """Per-user cache (browser engine cache, downloaded packages)."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def user_state_dir() -> Path:
    """Per-user state that matters only while the app runs or just after (recovery files)."""
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def recovery_dir() -> Path:
    """Where unsaved editor buffers are mirrored so a crash loses no typing (core.recovery)."""
    return user_state_dir() / "recovery"


def recent_folders_file() -> Path:
    """The JSON list behind File ▸ Open Recent (core.recent_folders)."""
    return user_data_dir() / "recent_folders.json"


def user_config_dir() -> Path:
    """Per-user settings the user chose (package sources)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def package_library_dir(r_minor: str = "4.6") -> Path:
    """The persistent host library R sees first on .libPaths() (core.packages.library)."""
    return user_data_dir() / "library" / f"R-{r_minor}"


def package_cache_dir() -> Path:
    """Every package archive ever downloaded, and the last good repository indexes."""
    return user_cache_dir() / "packages"


def package_sources_file() -> Path:
    """The user's ordered list of package sources (core.packages.sources)."""
    return user_config_dir() / "package_sources.json"
