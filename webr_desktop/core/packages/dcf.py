"""R's Debian Control File format: DESCRIPTION files and repository PACKAGES indexes.

Records are separated by blank lines; a field is ``Name: value`` and a line that starts with
white space continues the previous field. Continuations are joined with a newline, as R's
``read.dcf`` keeps them for ``Description``; the dependency parser treats newlines as spaces.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from webr_desktop.core.packages.errors import PackageError

MAX_INDEX = 256 * 1024 * 1024  # a decompressed PACKAGES larger than this is refused


class DcfError(PackageError):
    """A DCF file that can't be read (bad gzip, a line that is neither field nor continuation)."""


def decode(data: bytes) -> str:
    """DESCRIPTION files are UTF-8 nowadays; old ones are Latin-1, which decodes anything."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse(text: str) -> list[dict[str, str]]:
    """All records of a DCF text, each a dict in field order."""
    records: list[dict[str, str]] = []
    record: dict[str, str] = {}
    last: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if record:
                records.append(record)
            record, last = {}, None
        elif line[0] in " \t":
            if last is None:
                raise DcfError(f"line {number}: a continuation line with no field before it")
            record[last] += "\n" + line.strip()
        else:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise DcfError(f"line {number}: expected 'Field: value', got {line[:60]!r}")
            record[name] = value.strip()
            last = name
    if record:
        records.append(record)
    return records


def parse_bytes(data: bytes) -> list[dict[str, str]]:
    """Records of a DCF file's bytes; gzip is recognised by its magic (PACKAGES.gz)."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = _gunzip(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DcfError(f"the compressed index is corrupt ({exc})") from None
    return parse(decode(data))


def _gunzip(data: bytes) -> bytes:
    out = gzip.GzipFile(fileobj=io.BytesIO(data)).read(MAX_INDEX + 1)
    if len(out) > MAX_INDEX:
        raise DcfError("the index is larger than 256 MB once decompressed")
    return out


def read_file(path: Path) -> list[dict[str, str]]:
    """Records of a file on disk (PACKAGES, PACKAGES.gz, DESCRIPTION)."""
    return parse_bytes(Path(path).read_bytes())


def format_record(record: Mapping[str, str]) -> str:
    """One record as DCF text; multi-line values are indented, as R writes them."""
    lines = []
    for name, value in record.items():
        first, *rest = str(value).split("\n")
        lines.append(f"{name}: {first}")
        lines.extend(f"        {part}" for part in rest)
    return "\n".join(lines) + "\n"


def format_records(records: Iterable[Mapping[str, str]]) -> str:
    """Several records separated by blank lines (a PACKAGES file)."""
    return "\n".join(format_record(r) for r in records)
