"""Run one R script through `webr-desktop run` and through raw webR in Node, and compare.

Raw webR is the same webR build (wasm/dist) with no app code, started as Rscript runs R
(non-interactive, --no-echo; see raw_webr.mjs). Only what must differ is normalised: temporary
paths, memory addresses and the working directory.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DIST = ROOT / "wasm" / "dist"
RAW_RUNNER = HERE / "raw_webr.mjs"
TIMEOUT_S = 600


@dataclass(frozen=True)
class Result:
    status: int
    stdout: str
    stderr: str


def node() -> str:
    found = shutil.which("node")
    if found is None:
        raise RuntimeError("the conformance tier needs Node.js (node) to run raw webR")
    return found


def run_raw(script: Path, cwd: Path) -> Result:
    proc = subprocess.run(
        [node(), str(RAW_RUNNER), str(DIST), str(script), str(TIMEOUT_S)],
        capture_output=True, text=True, timeout=TIMEOUT_S + 60, cwd=cwd,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_app(script: Path, cwd: Path) -> Result:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-m", "webr_desktop", "run", "--no-network", str(script)],
        capture_output=True, text=True, timeout=TIMEOUT_S + 60, cwd=cwd, env=env,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


_NORMALISE = [
    (re.compile(r"/tmp/Rtmp[A-Za-z0-9]+"), "<TMPDIR>"),
    (re.compile(r"(<TMPDIR>/[A-Za-z_.-]*?)[0-9a-f]{6,}"), r"\1<HEX>"),  # tempfile() names
    (re.compile(r"0x[0-9a-f]{4,}"), "<ADDR>"),
]


def normalise(text: str, workdirs: tuple[str, ...] = ()) -> list[str]:
    for pattern, repl in _NORMALISE:
        text = pattern.sub(repl, text)
    for wd in workdirs:
        text = text.replace(wd, "<WORKDIR>")
    # Trailing blanks: R pads columns to the widest entry, and a temporary path's length varies.
    return [line.rstrip() for line in text.splitlines()]


@dataclass(frozen=True)
class Allowed:
    case: str
    stream: str
    match: re.Pattern[str]
    reason: str
    side: str  # "app", "raw" or "" (either): which output has the line


def load_allow_list(path: Path = HERE / "allow.json") -> list[Allowed]:
    entries = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for e in entries:
        if not e.get("reason"):
            raise ValueError(f"allow-list entry without a reason: {e}")
        if e["stream"] not in ("stdout", "stderr", "status"):
            raise ValueError(f"allow-list entry with an unknown stream: {e}")
        if e.get("side", "") not in ("", "app", "raw"):
            raise ValueError(f"allow-list entry with an unknown side: {e}")
        out.append(Allowed(e["case"], e["stream"], re.compile(e.get("match", "")), e["reason"], e.get("side", "")))
    return out


def differences(case: str, app: Result, raw: Result, allowed: list[Allowed],
                workdirs: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """(differences not in the allow-list, the allowed ones with their reasons)."""
    bad: list[str] = []
    ok: list[str] = []
    mine = [a for a in allowed if a.case in (case, "*")]
    if app.status != raw.status:
        line = f"status: app {app.status}, raw webR {raw.status}"
        hits = [a for a in mine if a.stream == "status" and a.match.search(line)]
        (ok if hits else bad).append(line + (f"  [allowed: {hits[0].reason}]" if hits else ""))
    for stream in ("stdout", "stderr"):
        a_lines = normalise(getattr(app, stream), workdirs)
        r_lines = normalise(getattr(raw, stream), workdirs)
        for d in difflib.unified_diff(r_lines, a_lines, "raw", "app", n=0, lineterm=""):
            if d.startswith(("---", "+++", "@@")):
                continue
            side = "app" if d[0] == "+" else "raw"
            hits = [a for a in mine if a.stream == stream and a.side in ("", side) and a.match.search(d[1:])]
            text = f"{stream} {d}"
            (ok if hits else bad).append(text + (f"  [allowed: {hits[0].reason}]" if hits else ""))
    return bad, ok


def example_generator(topics: list[tuple[str, str]]) -> str:
    """R code that prints the examples of each (package, topic), as R's example() finds them."""
    pairs = ", ".join(f'c("{p}", "{t}")' for p, t in topics)
    return (
        f"topics <- list({pairs})\n"
        "for (pt in topics) {\n"
        '  cat("### TOPIC", pt[1], pt[2], "\\n")\n'
        "  rd <- tryCatch(utils:::.getHelpFile(help(pt[2], package = (pt[1]))), error = function(e) NULL)\n"
        '  if (is.null(rd)) { cat("### MISSING\\n"); next }\n'
        "  f <- tempfile()\n"
        "  tools::Rd2ex(rd, f, commentDontrun = TRUE, commentDonttest = TRUE)\n"
        "  if (file.exists(f)) writeLines(readLines(f))\n"
        "}\n"
    )


def read_topics(path: Path = HERE / "topics.txt") -> list[list[tuple[str, str]]]:
    """The topic batches of topics.txt (a blank line ends a batch)."""
    batches: list[list[tuple[str, str]]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if batches[-1]:
                batches.append([])
            continue
        pkg, topic = line.split()
        batches[-1].append((pkg, topic))
    return [b for b in batches if b]


def split_examples(text: str) -> dict[tuple[str, str], str | None]:
    """The generator's output: each topic's example code (None: no help page)."""
    out: dict[tuple[str, str], str | None] = {}
    key: tuple[str, str] | None = None
    body: list[str] = []
    for line in text.splitlines():
        m = re.match(r"### TOPIC (\S+) (\S+) $", line)
        if m:
            if key is not None:
                out[key] = "\n".join(body)
            key, body = (m.group(1), m.group(2)), []
        elif line == "### MISSING" and key is not None:
            out[key] = None
            key = None
        else:
            body.append(line)
    if key is not None:
        out[key] = "\n".join(body)
    return out


def batch_script(batch: list[tuple[str, str]], examples: dict[tuple[str, str], str | None]) -> str:
    """One R script with the examples of a batch, each after set.seed(1) (same random numbers)."""
    parts = []
    for key in batch:
        code = examples.get(key)
        if code:
            parts.append(f'cat("=== {key[0]}::{key[1]}\\n")\nset.seed(1)\n{code}\n')
    return "\n".join(parts)
