"""Host folder (DRIVEFS mount) benchmark; prints one JSON object.

drive_read_ratio   = memfs_read_s / drive_read_s: `read.csv` of a ~50 MB CSV in webR's
                     in-memory file system vs the same file in a host folder mounted through the
                     app's DriveFS (1.0 = as fast as in memory). Goal >= 0.5.
drive_write_ratio  = memfs_write_s / drive_write_s for `write.csv` of the same data frame.
                     Goal >= 0.4.
file_exists_ms     = median per-call time of `file.exists()` on a file in the mount, timed
                     inside R in batches of 20. Goal < 5.
evict_ms           = cost of the eviction that runs after every console command (R side).
big_write_s/big_read_s = writeBin/readBin of a 200 MB raw vector to/from the mount.
app_write_peak_mb      = peak RSS growth over the whole app (this process, which holds the
                         server and Chromium's browser/network side, plus every QtWebEngine
                         child, where the worker runs) during the 200 MB write; Linux only
                         (/proc clear_refs + VmHWM). app_read_peak_mb: the same for the read.

All times are taken inside R (proc.time), in one R session, with the real server, DriveFS
handler, worker patch and ProjectService, wired as webr_desktop.app wires them.

Usage: .venv/bin/python bench/drive.py [--runs N] [--rows N] [--load N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_load_argument, cpu_load, emit_json, init_qt, median, private_env, rnd, wait_until,
)


def r_eval(session, code: str, timeout_s: float = 300):
    """Evaluate R code and wait for its value (RuntimeError if R failed)."""
    request = session.eval(code)
    result: dict = {}
    request.sig_finished.connect(lambda v: result.setdefault("value", v))
    request.sig_failed.connect(lambda e: result.setdefault("error", e))
    wait_until(lambda: bool(result), timeout_s, code[:60], step_ms=2)
    if "error" in result:
        raise RuntimeError(f"R failed: {result['error']}")
    return result["value"]


def _tree() -> list[int]:
    """This process and all its descendants (Linux /proc)."""
    import os

    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry))
    out, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def app_rss() -> dict[int, int]:
    """RSS (KiB) of every app process now, after resetting their peaks (VmHWM)."""
    rss = {}
    for pid in _tree():
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass
        rss[pid] = _status_kb(pid, "VmRSS")
    return rss


def app_peak_growth(before: dict[int, int]) -> float:
    """MB: the sum over app processes of (peak RSS since ``app_rss()`` - RSS then)."""
    return sum(max(0, _status_kb(pid, "VmHWM") - rss) for pid, rss in before.items()) / 1024


def elapsed(session, expr: str) -> float:
    """Seconds R spends on ``expr`` (timed inside R)."""
    return float(r_eval(session, f'{{ gc(); system.time({expr})[["elapsed"]] }}'))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--rows", type=int, default=420_000, help="rows of the CSV (~50 MB at the default)")
    add_load_argument(parser)
    args = parser.parse_args()
    private_env()
    app = init_qt()
    result: dict = {"benchmark": "drive", "load": args.load, "runs": args.runs}
    host = Path(tempfile.mkdtemp(prefix="webr-desktop-drive-bench-"))
    try:
        with cpu_load(args.load):
            from webr_desktop.app import PAGE_PATH, new_project, new_session, start_server
            from webr_desktop.core.runtime_assets import check_runtime
            from webr_desktop.runtime.session import SessionState

            server = start_server(check_runtime())
            session = new_session(server.url(PAGE_PATH), server.blobs)
            project = new_project(session, server)
            session.start()
            wait_until(lambda: session.state is SessionState.IDLE, 60, "R's first prompt")
            project.open_folder(host)
            wait_until(lambda: project.working_dir is not None, 30, "the mount")
            mnt = project.r_path(host)
            r_eval(session, f"set.seed(1); df <- as.data.frame(matrix(runif({args.rows} * 6), ncol = 6)); "
                            f'mem <- file.path(tempdir(), "big.csv"); drv <- "{mnt}/big.csv"; 0')
            reads_mem, reads_drv, writes_mem, writes_drv = [], [], [], []
            for run in range(args.runs + 1):  # run 0 warms up R (first read.csv, allocator)
                for target in ("mem", "drv") if run % 2 else ("drv", "mem"):  # alternate the order
                    w = elapsed(session, f"write.csv(df, {target}, row.names = FALSE)")
                    r_eval(session, ".wd.drive_evict()")
                    r = elapsed(session, f"{'x' if target == 'mem' else 'y'} <- read.csv({target})")
                    if run:
                        (writes_mem if target == "mem" else writes_drv).append(w)
                        (reads_mem if target == "mem" else reads_drv).append(r)
            same = r_eval(session, "identical(x, y) && identical(unname(tools::md5sum(mem)), unname(tools::md5sum(drv)))")
            size_mb = (host / "big.csv").stat().st_size / 1e6
            r_eval(session, f'writeLines("x", "{mnt}/small.txt")')
            batches = r_eval(session, f'sapply(1:15, function(i) system.time(for (j in 1:20) file.exists("{mnt}/small.txt"))[["elapsed"]] / 20 * 1000)')
            r_eval(session, 'invisible(file.exists(file.path(getwd(), list.files(recursive = TRUE))))')  # cache nodes
            evicts = r_eval(session, "sapply(1:5, function(i) system.time(for (j in 1:200) .wd.drive_evict())[[\"elapsed\"]] / 200 * 1000)")
            r_eval(session, 'rm(x, y, df); gc(); big <- as.raw(sample(0:255, 200e6, TRUE)); 0')
            before = app_rss()
            big_w = elapsed(session, f'writeBin(big, "{mnt}/big.bin")')
            write_peak = app_peak_growth(before)
            r_eval(session, ".wd.drive_evict(); gc(); 0")
            before = app_rss()
            big_r = elapsed(session, f'z <- readBin("{mnt}/big.bin", "raw", 300e6)')
            read_peak = app_peak_growth(before)
            big_same = r_eval(session, "identical(z, big)")
            session.shutdown()
            server.close()
            result.update(
                drive_read_ratio=rnd(median(reads_mem) / median(reads_drv), 3),
                drive_write_ratio=rnd(median(writes_mem) / median(writes_drv), 3),
                file_exists_ms=rnd(median(batches), 2),
                evict_ms=rnd(median(evicts), 3),
                memfs_read_s=rnd(median(reads_mem), 3),
                drive_read_s=rnd(median(reads_drv), 3),
                memfs_write_s=rnd(median(writes_mem), 3),
                drive_write_s=rnd(median(writes_drv), 3),
                csv_mb=rnd(size_mb, 1),
                identical=bool(same) and bool(big_same),
                big_write_s=rnd(big_w, 2),
                big_read_s=rnd(big_r, 2),
                app_write_peak_mb=rnd(write_peak, 0),
                app_read_peak_mb=rnd(read_peak, 0),
            )
    except Exception as exc:  # noqa: BLE001 - the JSON says what failed
        traceback.print_exc()
        result["error"] = str(exc)
    finally:
        shutil.rmtree(host, ignore_errors=True)
    emit_json(result)
    del app
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
