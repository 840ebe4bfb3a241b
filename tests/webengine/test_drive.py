"""Host folders in the real webR: R reads and writes the user's files through DRIVEFS and our
``/api/drive`` handler; host-side changes show at the next command; Restart R restores mounts."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PureWindowsPath

import pytest

from webr_desktop.core.rcode import r_string
from webr_desktop.models.project import ProjectService, collides, natural_mount_point
from webr_desktop.app import new_project
from webr_desktop.server.local_server import LocalServer
from tests.webengine.driver import RDriver


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """A project folder outside /tmp where possible, so R sees it at its own host path."""
    base = "/var/tmp" if os.access("/var/tmp", os.W_OK) else None
    path = Path(tempfile.mkdtemp(prefix="wd-drive-", dir=base)).resolve()
    (path / "outside-target").mkdir()
    proj = path / "proj"
    proj.mkdir()
    yield proj
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def project(shared: RDriver, server: LocalServer, folder: Path) -> ProjectService:
    return new_project(shared.session, server)  # as webr_desktop.app builds it: the server's own drives


def opened(qtbot, shared: RDriver, project: ProjectService, folder: Path) -> str:
    """Open ``folder`` (once) and return R's working directory."""
    if project.folder != folder:
        with qtbot.waitSignal(project.sig_working_dir_changed, timeout=15_000) as blocker:
            project.open_folder(folder)
        return blocker.args[0]
    return shared.eval(qtbot, "getwd()")


def test_mount_point_rules() -> None:
    assert natural_mount_point(Path("/home/ann/proj")) == "/home/ann/proj"
    assert natural_mount_point(PureWindowsPath("C:\\x\\y")) == "/C/x/y"
    assert natural_mount_point(PureWindowsPath("\\\\server\\share\\x")) is None
    for bad in ("/", "/usr", "/usr/lib/R", "/home", "/home/web_user/x", "/tmp", "/dev/x", "/proc", "/mnt"):
        assert collides(bad), bad
    for ok in ("/home/ann/proj", "/tmp/x/y", "/var/tmp/p", "/C/x/y", "/Users/ann"):
        assert not collides(ok), ok


def test_open_folder_sets_wd_and_maps_paths(qtbot, shared: RDriver, project: ProjectService, folder: Path) -> None:
    wd = opened(qtbot, shared, project, folder)
    assert wd == str(folder) == shared.eval(qtbot, "getwd()")  # the host's own path
    assert project.folder == folder
    assert project.r_path(folder / "a" / "b.R") == f"{wd}/a/b.R"
    assert project.host_path(f"{wd}/a/b.R") == folder / "a" / "b.R"
    assert project.host_path("b.R") == folder / "b.R"
    assert project.host_path(f"{wd}/../x") is None
    assert project.r_path(folder.parent / "outside-target") is None


def test_text_and_binary_bytes_match(qtbot, shared: RDriver, project: ProjectService, folder: Path) -> None:
    opened(qtbot, shared, project, folder)
    shared.run(qtbot, 'writeLines(c("alpha", "bêta"), "t.txt"); set.seed(1); '
                      'writeBin(as.raw(sample(0:255, 70000, TRUE)), "b.bin")')
    md5 = shared.eval(qtbot, 'unname(tools::md5sum(c("t.txt", "b.bin")))')
    assert (folder / "t.txt").read_bytes() == "alpha\nbêta\n".encode()
    assert md5 == [hashlib.md5((folder / n).read_bytes()).hexdigest() for n in ("t.txt", "b.bin")]
    assert len((folder / "b.bin").read_bytes()) == 70000
    data = os.urandom(300_000)
    (folder / "host.bin").write_bytes(data)
    shared.run(qtbot, "invisible(0)")  # the next command sees host-side changes
    assert shared.eval(qtbot, 'unname(tools::md5sum("host.bin"))') == hashlib.md5(data).hexdigest()
    assert shared.eval(qtbot, 'length(readBin("host.bin", "raw", 1e6))') == 300_000


def test_host_side_changes_seen_at_next_command(qtbot, shared: RDriver, project: ProjectService, folder: Path) -> None:
    opened(qtbot, shared, project, folder)
    (folder / "data.csv").write_text("x,y\n1,a\n2,b\n3,c\n")
    shared.run(qtbot, 'd <- read.csv("data.csv")')
    assert shared.eval(qtbot, "list(n = nrow(d), s = sum(d$x), y = d$y)") == {"n": 3, "s": 6, "y": ["a", "b", "c"]}
    assert shared.eval(qtbot, 'file.exists("data.csv")') is True
    (folder / "data.csv").unlink()
    out = shared.run(qtbot, 'cat(file.exists("data.csv"), "\\n")')
    assert ("stdout", "FALSE ") in out
    shared.run(qtbot, 'writeLines("again", "data.csv")')
    assert (folder / "data.csv").read_text() == "again\n"
    (folder / "data.csv").unlink()
    (folder / "data.csv").mkdir()  # a file became a folder on the host
    shared.run(qtbot, "invisible(0)")
    assert shared.eval(qtbot, 'dir.exists("data.csv")') is True
    (folder / "data.csv").rmdir()


def test_r_file_operations(qtbot, shared: RDriver, project: ProjectService, folder: Path) -> None:
    opened(qtbot, shared, project, folder)
    shared.run(qtbot, 'dir.create("d/e", recursive = TRUE); writeLines("1", "d/e/one.txt"); '
                      'saveRDS(mtcars, "d/m.rds"); write.csv(iris, "d/iris.csv", row.names = FALSE); '
                      'writeLines("ü", "é.csv"); file.rename("d/e/one.txt", "d/uno.txt")')
    assert shared.eval(qtbot, 'dir.exists("d/e")') is True
    assert sorted(shared.eval(qtbot, 'list.files("d", recursive = TRUE)')) == ["iris.csv", "m.rds", "uno.txt"]
    assert (folder / "d" / "uno.txt").read_text() == "1\n" and not (folder / "d" / "e" / "one.txt").exists()
    assert shared.eval(qtbot, 'identical(readRDS("d/m.rds"), mtcars)') is True
    assert shared.eval(qtbot, 'nrow(read.csv("d/iris.csv"))') == 150
    assert (folder / "d" / "iris.csv").read_text().startswith('"Sepal.Length","Sepal.Width"')
    assert (folder / "é.csv").read_text(encoding="utf-8") == "ü\n"
    assert "é.csv" in shared.eval(qtbot, "list.files()")
    assert shared.eval(qtbot, 'readLines("é.csv")') == "ü"
    (folder / "d" / "uno.txt").write_text("overwritten")
    shared.run(qtbot, 'writeLines("2", "two.txt"); file.rename("two.txt", "d/uno.txt")')  # onto an existing file
    assert (folder / "d" / "uno.txt").read_text() == "2\n"
    shared.run(qtbot, 'unlink("d", recursive = TRUE)')
    assert not (folder / "d").exists()
    assert shared.eval(qtbot, 'file.exists("no-such-file")') is False


def test_escaping_symlink_is_an_r_error(qtbot, shared: RDriver, project: ProjectService, folder: Path) -> None:
    opened(qtbot, shared, project, folder)
    secret = folder.parent / "outside-target" / "secret.txt"
    secret.write_text("SECRET")
    (folder / "esc.txt").symlink_to(secret)
    try:
        out = shared.run(qtbot, 'x <- tryCatch(readLines("esc.txt"), error = function(e) "refused", '
                                'warning = function(w) "refused"); cat(x, "\\n")')
        assert ("stdout", "refused ") in out
        shared.run(qtbot, 'try(writeLines("pwned", "esc.txt"), silent = TRUE)')
        assert secret.read_text() == "SECRET"
        assert shared.eval(qtbot, "1 + 1") == 2  # R is alive and answering
    finally:
        (folder / "esc.txt").unlink()


def test_restart_restores_mounts_and_wd(qtbot, fresh: RDriver, server: LocalServer, folder: Path, tmp_path: Path) -> None:
    service = new_project(fresh.session, server)
    with qtbot.waitSignal(service.sig_working_dir_changed, timeout=15_000):
        service.open_folder(folder)
    extra = service.mount(tmp_path)
    assert extra == str(tmp_path.resolve())  # under /tmp is fine: only /tmp itself collides
    (tmp_path / "x.txt").write_text("extra")
    (folder / "sub").mkdir(exist_ok=True)
    with qtbot.waitSignal(service.sig_working_dir_changed, timeout=15_000) as blocker:
        fresh.run(qtbot, 'setwd("sub")')  # typed in the console: the service follows it
    assert blocker.args == [f"{service.r_path(folder)}/sub"] and service.working_dir == blocker.args[0]
    first_line: list = []

    def type_at_once(_ready) -> None:  # as a user typing the moment R is back
        fresh.session.write_console('cat(getwd(), readLines(file.path(' + r_string(extra) + ', "x.txt")), "\\n")')
        first_line.append(True)

    fresh.session.sig_started.connect(type_at_once)  # after the service's own slot
    mark = fresh.mark()
    with qtbot.waitSignal(fresh.session.sig_command_finished, timeout=30_000):
        fresh.session.restart()
    assert first_line
    assert ("stdout", f"{service.r_path(folder)}/sub extra ") in fresh.since(mark)


# -- issue 14: data safety and bounded memory, seen from R -------------------------------------
# R's conditions from ``code``: "error: ... | warning: ..." (every warning kept, in order)
CONDITION = ('local({{ said <- character(); '
             'tryCatch(withCallingHandlers({{ {code}; NULL }}, warning = function(w) {{ '
             'said <<- c(said, paste("warning:", conditionMessage(w))); invokeRestart("muffleWarning") }}), '
             'error = function(e) said <<- c(paste("error:", conditionMessage(e)), said)); '
             'paste(c(said, "end"), collapse = " | ") }})')


@pytest.fixture
def small_disk(folder: Path) -> Iterator[Path]:
    """A real 1 MiB tmpfs inside the project folder, so R's write runs out of space for real."""
    import subprocess

    where = folder / "small"
    where.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
        where.rmdir()


def test_full_disk_is_an_r_error_and_keeps_old_file(qtbot, shared: RDriver, project: ProjectService,
                                                     folder: Path, small_disk: Path) -> None:
    opened(qtbot, shared, project, folder)
    old = os.urandom(300_000)
    (small_disk / "keep.bin").write_bytes(old)
    shared.run(qtbot, "invisible(0)")
    said = shared.eval(qtbot, CONDITION.format(code='writeBin(as.raw(rep(1L, 2e6)), "small/keep.bin")'))
    # R's own file code warns here too (a failed fclose), now with the cause, not "Invalid argument"
    assert said == "warning: Problem closing connection:  No space left on device | end", said
    assert (small_disk / "keep.bin").read_bytes() == old
    said = shared.eval(qtbot, CONDITION.format(code='writeLines(strrep("x", 2e6), "small/keep.bin")'))
    assert said == "warning: Problem closing connection:  No space left on device | end", said
    assert (small_disk / "keep.bin").read_bytes() == old
    assert sorted(os.listdir(small_disk)) == ["keep.bin"]
    assert shared.eval(qtbot, 'length(readBin("small/keep.bin", "raw", 1e6))') == 300_000


def test_read_only_folder_says_so(qtbot, shared: RDriver, project: ProjectService,
                                  folder: Path, small_disk: Path) -> None:
    import subprocess

    opened(qtbot, shared, project, folder)
    (small_disk / "keep.txt").write_text("old\n")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    shared.run(qtbot, "invisible(0)")
    for name in ("keep.txt", "new.txt"):  # fails at open, an R error, as R's own files do
        said = shared.eval(qtbot, CONDITION.format(code=f'writeLines("new", "small/{name}")'))
        assert said == ("error: cannot open the connection | warning: cannot open file "
                        f"'small/{name}': Read-only file system | end"), said
    said = shared.eval(qtbot, CONDITION.format(code='dir.create("small/d")'))
    assert "Read-only file system" in said, said
    assert (small_disk / "keep.txt").read_text() == "old\n"


def test_huge_file_reads_in_ranges(qtbot, shared: RDriver, project: ProjectService, folder: Path) -> None:
    """A 3 GB sparse file: the first bytes, the last bytes and its size, at once (the stock
    client fetched the whole file and R got raw(0) after 104 s); a 20 MB file crosses chunks."""
    opened(qtbot, shared, project, folder)
    size = 3 << 30
    with open(folder / "huge.bin", "wb") as f:
        f.truncate(size)
        f.seek(size - 4)
        f.write(b"TAIL")
    data = os.urandom(20 << 20)
    (folder / "mid.bin").write_bytes(data)
    try:
        shared.run(qtbot, "invisible(0)")
        assert shared.eval(qtbot, 'as.character(readBin("huge.bin", "raw", 10))', timeout=30_000) == ["00"] * 10
        assert shared.eval(qtbot, 'file.size("huge.bin")') == size
        tail = ('local({ con <- file("huge.bin", "rb"); on.exit(close(con)); '
                'seek(con, 3 * 2^30 - 4); rawToChar(readBin(con, "raw", 4)) })')
        assert shared.eval(qtbot, tail, timeout=30_000) == "TAIL"
        assert shared.eval(qtbot, 'unname(tools::md5sum("mid.bin"))') == hashlib.md5(data).hexdigest()
        # appending goes to the host file in place: instant, whatever its size
        assert shared.eval(qtbot, CONDITION.format(code='cat("x", file = "huge.bin", append = TRUE)')) == "end"
        assert (folder / "huge.bin").stat().st_size == size + 1
        with open(folder / "huge.bin", "rb") as f:
            f.seek(size - 4)
            assert f.read() == b"TAILx"
        # opened for update, the whole file would have to sit in the worker: refused, clearly
        said = shared.eval(qtbot, CONDITION.format(code='close(file("huge.bin", "r+b"))'))
        assert said == ("error: cannot open the connection | "
                        "warning: cannot open file 'huge.bin': File too large | end"), said
        assert (folder / "huge.bin").stat().st_size == size + 1
    finally:
        (folder / "huge.bin").unlink()
        (folder / "mid.bin").unlink()


def test_fifo_is_an_error_at_once(qtbot, shared: RDriver, project: ProjectService, folder: Path) -> None:
    opened(qtbot, shared, project, folder)
    os.mkfifo(folder / "pipe")
    try:
        shared.run(qtbot, "invisible(0)")
        said = shared.eval(qtbot, CONDITION.format(code='readLines("pipe")'))  # a hang times out
        assert said.startswith("error: cannot open the connection"), said
        assert shared.eval(qtbot, 'file.exists("pipe")') is False
        assert shared.eval(qtbot, "1 + 1") == 2
    finally:
        (folder / "pipe").unlink()


def test_big_write_streams_and_seek_back_works(qtbot, shared: RDriver, project: ProjectService,
                                               server: LocalServer, folder: Path) -> None:
    """A 20 MB writeBin goes up in 8 MiB pieces; seeking back and reading a "w+" file still
    work (the worker takes the pieces back); the host file matches byte for byte."""
    from webr_desktop.server import drive as drive_api

    opened(qtbot, shared, project, folder)
    pieces: list[tuple[int, str | None]] = []

    def counting(reader, headers):  # the real handler, with a note of each request
        pieces.append((reader.length, headers.get("x-wd-upload")))
        return server.drives.handle_put(reader, headers)

    def route(handler) -> None:
        server.add_handler(drive_api.PUT_PATH, handler, secret_header=drive_api.SECRET_HEADER,
                           max_body=drive_api.MAX_PUT, streaming=True)

    route(counting)
    try:
        md5 = shared.eval(qtbot, 'local({ set.seed(2); x <- as.raw(sample(0:255, 20e6, TRUE)); '
                                 'writeBin(x, "w20.bin"); unname(tools::md5sum("w20.bin")) })', timeout=60_000)
        assert md5 == hashlib.md5((folder / "w20.bin").read_bytes()).hexdigest()
        assert (folder / "w20.bin").stat().st_size == 20_000_000
        # three pieces (8 + 8 + 4 MB), none of them the whole file
        assert [n for n, _ in pieces] == [8 << 20, 8 << 20, 20_000_000 - (16 << 20)], pieces
        assert pieces[0][1] == "new" and pieces[1][1] == pieces[2][1] != "new"
        shared.eval(qtbot, 'local({ con <- file("seek.bin", "w+b"); on.exit(close(con)); '
                           'writeBin(as.raw(rep(7L, 18e6)), con); seek(con, 0, rw = "write"); '
                           'writeBin(as.raw(1:4), con); 0 })', timeout=60_000)
        data = (folder / "seek.bin").read_bytes()
        assert len(data) == 18_000_000 and data[:5] == b"\x01\x02\x03\x04\x07" and data[-1:] == b"\x07"
        assert not [n for n in os.listdir(folder) if n.startswith(".~wd-")]
    finally:
        route(server.drives.handle_put)
        for name in ("w20.bin", "seek.bin"):
            (folder / name).unlink(missing_ok=True)


def test_full_disk_mid_upload(qtbot, shared: RDriver, project: ProjectService, folder: Path, small_disk: Path) -> None:
    """The first 8 MiB piece of a 20 MB write does not fit: R hears it while writing, the old
    file stays and no piece is left behind."""
    opened(qtbot, shared, project, folder)
    old = os.urandom(300_000)
    (small_disk / "keep.bin").write_bytes(old)
    shared.run(qtbot, "invisible(0)")
    said = shared.eval(qtbot, CONDITION.format(code='writeBin(as.raw(rep(1L, 20e6)), "small/keep.bin")'), timeout=60_000)
    # as R's own files: writeBin warns that the write failed, close() names the cause
    assert said == ("warning: problem writing to connection | "
                    "warning: Problem closing connection:  No space left on device | end"), said
    assert (small_disk / "keep.bin").read_bytes() == old
    assert sorted(os.listdir(small_disk)) == ["keep.bin"]


def test_append_streams_and_keeps_old_on_failure(qtbot, shared: RDriver, project: ProjectService,
                                                 folder: Path, small_disk: Path) -> None:
    """"a" mode: the server copies the file and R's bytes are appended (no whole file in the
    worker); appending past a full disk keeps the old file whole."""
    opened(qtbot, shared, project, folder)
    (folder / "log.txt").write_text("one\n")
    (small_disk / "keep.bin").write_bytes(b"x" * 300_000)
    shared.run(qtbot, "invisible(0)")
    try:
        shared.run(qtbot, 'cat("two\\n", file = "log.txt", append = TRUE); '
                          'write("three", file = "log.txt", append = TRUE)')
        assert (folder / "log.txt").read_text() == "one\ntwo\nthree\n"
        said = shared.eval(qtbot, 'local({ con <- file("log.txt", "a+"); on.exit(close(con)); '
                                  'cat("four\\n", file = con); seek(con, 0); readLines(con) })')
        assert said == ["one", "two", "three", "four"]
        assert (folder / "log.txt").read_text() == "one\ntwo\nthree\nfour\n"
        said = shared.eval(qtbot, CONDITION.format(
            code='cat(strrep("y", 2e6), file = "small/keep.bin", append = TRUE)'))
        assert "No space left on device" in said, said
        assert (small_disk / "keep.bin").read_bytes() == b"x" * 300_000
        assert sorted(os.listdir(small_disk)) == ["keep.bin"]
    finally:
        (folder / "log.txt").unlink()
