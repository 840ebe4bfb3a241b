"""The command line, run as a user would: a real process, real webR, exit statuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.webengine


def _cli(*args: str, env: dict[str, str] | None = None, timeout: int = 90) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "webr_desktop", *args],
        capture_output=True, text=True, timeout=timeout, env=full_env,
    )


def test_run_expression_prints_to_stdout_and_exits_0() -> None:
    result = _cli("run", "-e", "cat(sum(1:10))")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "55\n"
    assert result.stderr == ""


def test_r_error_exits_1_with_the_message_on_stderr() -> None:
    result = _cli("run", "-e", "x <- 1:3; x", "-e", 'message("note"); f <- function() stop("inner"); f()',
                  "-e", 'cat("not reached\\n")')
    assert result.returncode == 1
    assert result.stdout == "[1] 1 2 3\n"
    assert result.stderr == "note\nError in f() : inner\nExecution halted\n"  # as Rscript


def test_run_file_with_warnings_readline_and_quit_status(tmp_path: Path) -> None:
    script = tmp_path / "script.R"
    script.write_text(
        'answer <- readline("name? ")\n'
        'cat("got", nchar(answer), "chars\\n")\n'
        'warning("careful")\n'
        'g <- function() { warning("in g"); 7 }\n'
        "g()\n"
        "quit(status = 4)\n"
        'cat("not reached\\n")\n',
        encoding="utf-8",
    )
    result = _cli("run", str(script))
    assert result.returncode == 4
    # Non-interactive readline() shows its prompt and answers "" at once, as in Rscript.
    assert result.stdout == "name? \ngot 0 chars\n[1] 7\n"
    # R's own printer: a top-level warning's message ends with a space.
    assert result.stderr == "Warning message:\ncareful \nWarning message:\nIn g() : in g\n"


def test_a_long_script_runs_whole(tmp_path: Path) -> None:
    # webR's console reads at most 4096 bytes per line: the script must not go in as one.
    lines = [f'v{i} <- "{"x" * 60}"' for i in range(300)]  # ~21 KB
    script = tmp_path / "long.R"
    script.write_text("\n".join([*lines, "cat(length(ls(pattern = '^v')), nchar(v299), '\\n')"]), encoding="utf-8")
    result = _cli("run", str(script))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "300 60 \n"


def test_lines_over_4_kb_run_whole(tmp_path: Path) -> None:
    # R's console reads 4096 bytes at a time: a longer line arrives in pieces and R's REPL
    # joins them (a long vector, a long string, a long comment, spaces at top level).
    script = tmp_path / "wide.R"
    script.write_text(
        "x <- c(" + ",".join(str(i) for i in range(3000)) + ")\n"
        's <- "' + "a" * 6000 + '"\n'
        "#" + "c" * 5000 + "\n"
        "z <- 1 " + " " * 5000 + "+ 2; z\n"
        'cat(length(x), nchar(s), "\\n")\n',
        encoding="utf-8",
    )
    result = _cli("run", str(script))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[1] 3\n3000 6000 \n"


def test_parse_error_exits_1() -> None:
    result = _cli("run", "-e", "x <- (1")
    assert result.returncode == 1
    assert "unexpected end of input" in result.stderr


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    result = _cli("run", str(tmp_path / "missing.R"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_version_names_app_webr_and_r() -> None:
    result = _cli("--version")
    assert result.returncode == 0
    assert "webR 0.6.0" in result.stdout and "R 4.6" in result.stdout


def test_missing_runtime_names_the_fix_command(tmp_path: Path) -> None:
    result = _cli("run", "-e", "1", env={"WEBR_DESKTOP_RUNTIME": str(tmp_path / "nowhere")})
    assert result.returncode == 2
    assert "webr-desktop fetch-runtime" in result.stderr
    assert result.stderr.count("\n") == 1  # one clear message


def test_gui_starts_offscreen_and_shows_a_prompt(tmp_path: Path) -> None:
    result = _cli("--exit-after-first-prompt", str(tmp_path), env={"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "first prompt shown\nfirst command answered\n"  # R ran a first command too


def test_run_plots_writes_every_finished_plot(tmp_path: Path) -> None:
    script = tmp_path / "plots.R"
    script.write_text('plot(1:10)\nabline(h = 2)\nfor (i in 1:2) hist(rnorm(50), main = i)\ncat("done\\n")\n')
    out = tmp_path / "out"
    result = _cli("run", str(script), "--plots", str(out), "--plot-size", "4x3", "--plot-dpi", "100")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    names = [f"plot-00{i}.png" for i in (1, 2, 3)]
    assert result.stderr.splitlines() == [str(out / n) for n in names]
    assert sorted(p.name for p in out.iterdir()) == names
    for name in names:
        data = (out / name).read_bytes()
        assert data.startswith(b"\x89PNG")
        assert int.from_bytes(data[16:20], "big") == 400 and int.from_bytes(data[20:24], "big") == 300
    assert not (tmp_path / "Rplots.pdf").exists()


def test_run_plots_in_svg_and_after_an_error(tmp_path: Path) -> None:
    out = tmp_path / "svg"
    result = _cli("run", "-e", "plot(1); stop('boom')", "--plots", str(out), "--plot-format", "svg")
    assert result.returncode == 1
    assert "boom" in result.stderr
    svg = (out / "plot-001.svg").read_text()
    assert 'width="504pt"' in svg and 'height="360pt"' in svg  # the default 7 x 5 in


def test_run_plots_draw_on_r_file_devices_in_page_order_per_device(tmp_path: Path) -> None:
    # Not on webR's canvas (slow, its memory never freed): R's png() device itself, one
    # file series per opening of the default device, dev.new() sizes in inches honoured.
    code = ("plot(1); cat(names(dev.cur()), '\\n'); for (i in 1:300) points(runif(1), runif(1)); "
            "dev.new(width = 3, height = 2); plot(2); invisible(dev.set(2)); plot(3)")
    out = tmp_path / "out"
    result = _cli("run", "-e", code, "--plots", str(out), "--plot-dpi", "50")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "png \n"
    names = [f"plot-00{i}.png" for i in (1, 2, 3)]
    assert result.stderr.splitlines() == [str(out / n) for n in names]
    sizes = [(int.from_bytes(d[16:20], "big"), int.from_bytes(d[20:24], "big"))
             for d in ((out / n).read_bytes() for n in names)]
    assert sizes == [(350, 250), (350, 250), (150, 100)]  # the first device's pages, then the second's


def test_run_plots_rejects_a_bad_size() -> None:
    result = _cli("run", "-e", "1", "--plots", "x", "--plot-size", "big")
    assert result.returncode == 2
    assert "--plot-size takes WIDTHxHEIGHT" in result.stderr


def test_run_works_in_the_scripts_folder_on_the_real_disk(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.csv").write_text("x,y\n1,2\n3,4\n", encoding="utf-8")
    script = tmp_path / "script.R"
    script.write_text(
        'd <- read.csv("data/in.csv")\n'
        'write.csv(data.frame(total = sum(d$y)), "out.csv", row.names = FALSE)\n'
        'cat(basename(getwd()), "\\n")\n',
        encoding="utf-8",
    )
    result = _cli("run", str(script))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{tmp_path.name} \n"
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == '"total"\n6\n'


def test_run_mount_sets_the_working_directory(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.txt").write_bytes(b"\x00\x01binary\xff")
    result = _cli("run", "--mount", str(work), "-e",
                  'x <- readBin("a.txt", "raw", 100); writeBin(rev(x), "b.bin"); cat(length(x))')
    assert result.returncode == 0, result.stderr
    assert result.stdout == "9\n"
    assert (work / "b.bin").read_bytes() == b"\x00\x01binary\xff"[::-1]


def test_paths_in_a_mounted_folder_resolve(tmp_path: Path) -> None:
    # R's realpath() asks for links: the mounted folder answers "not a link", not EPERM.
    work = tmp_path / "work"
    work.mkdir()
    (work / "s.R").write_text("1\n", encoding="utf-8")
    result = _cli("run", "--mount", str(work), "-e",
                  'cat(normalizePath("s.R", mustWork = TRUE), tools::file_path_as_absolute("s.R"), '
                  'Sys.readlink("s.R") == "", class(data()), sep = "\n")')
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(work / "s.R"), str(work / "s.R"), "TRUE", "packageIQR"]
    assert result.stderr == ""


def test_run_mount_of_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = _cli("run", "--mount", str(tmp_path / "nope"), "-e", "1")
    assert result.returncode == 2
    assert "not a folder" in result.stderr


def test_run_starts_networking_and_no_network_is_a_clear_error(tmp_path: Path) -> None:
    from tests.webengine.net_targets import http_target

    with http_target() as port:
        code = (f'f <- tempfile(); download.file("http://127.0.0.1:{port}/0", f, quiet = TRUE); '
                f'con <- socketConnection("127.0.0.1", {port}, blocking = TRUE, open = "r+b"); '
                'writeLines("GET /0 HTTP/1.0\\r\\n", con, sep = "\\r\\n"); '
                'cat(readLines(f, warn = FALSE), tail(readLines(con, warn = FALSE), 1)); close(con)')
        result = _cli("run", "-e", code, "--mount", str(tmp_path))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "hello hello\n"
        off = _cli("run", "--no-network", "--mount", str(tmp_path), "-e",
                   f'download.file("http://127.0.0.1:{port}/0", tempfile())')
    assert off.returncode == 1
    assert "networking is off" in off.stderr
