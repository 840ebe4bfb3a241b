"""The errors a package operation can end with; each message is shown to the user as is.

R gets the message as its error text and the Packages pane shows it too, so a message says
what went wrong in words an R user knows, and what to do, without a traceback.
"""

from __future__ import annotations

WEBR_BINARY_HINT = (
    "a webR binary can come from https://repo.r-wasm.org or from R-universe "
    "(https://<owner>.r-universe.dev)"
)


class PackageError(Exception):
    """Any package failure; ``str(error)`` is the message for the user."""


class NotFoundError(PackageError):
    """No configured source has the package."""


class UnsatisfiableError(PackageError):
    """A dependency exists but no version meets the constraints (or R is too old)."""


class ArchiveError(PackageError):
    """The archive is truncated, corrupt, hostile, or not a package webR can load."""


class ChecksumError(PackageError):
    """A downloaded archive's MD5 differs from the one in the repository's index."""


class OfflineError(PackageError):
    """The archive isn't cached and its source can't be reached."""


class DiskFullError(PackageError):
    """No space left while unpacking; the library is unchanged."""


class CompiledCodeError(ArchiveError):
    """A source package with ``src/``, or a binary whose ``libs/*.so`` isn't WebAssembly."""
