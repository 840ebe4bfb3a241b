"""Command line: ``webr-desktop [PATH]``, ``run FILE.R | -e EXPR``, ``fetch-runtime``, ``packages …``,
``--version``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from webr_desktop import __version__
from webr_desktop.core.frozen import PROXY_CHILD_FLAG
from webr_desktop.core.plot_export import FORMATS, ExportSpec, ExportSpecError

if TYPE_CHECKING:
    from webr_desktop.runtime.headless import PlotOutput

_SUBCOMMANDS = ("run", "fetch-runtime", "packages")


def _version_text() -> str:
    from webr_desktop.core.runtime_assets import RuntimeAssetError, RuntimeLock, check_runtime

    try:
        info = check_runtime()
        return f"webr-desktop {__version__} (webR {info.webr_version}, R {info.r_version})"
    except RuntimeAssetError:
        lock = RuntimeLock.load()
        return f"webr-desktop {__version__} (webR {lock.version} pinned, not installed: run `webr-desktop fetch-runtime`)"


def _main_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="webr-desktop",
        description="A desktop R IDE whose R is webR. Subcommands: run, fetch-runtime, packages.",
    )
    parser.add_argument("path", nargs="?", type=Path, help="project folder or file to open")
    parser.add_argument("--version", action="store_true", help="print app, webR and R versions")
    parser.add_argument("--exit-after-first-prompt", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    return parser


def _run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="webr-desktop run", description="Run R code headless, like Rscript.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("file", nargs="?", type=Path, help="an R script")
    group.add_argument("-e", dest="expr", action="append", help="R expression (repeatable)")
    parser.add_argument("--plots", type=Path, metavar="DIR",
                        help="write every finished plot to DIR as plot-001.png, … (names go to stderr)")
    parser.add_argument("--plot-format", choices=sorted(FORMATS), default="png", help="plot file format (default png)")
    parser.add_argument("--plot-size", default="7x5", metavar="WxH",
                        help="plot size in inches (default 7x5)")
    parser.add_argument("--plot-dpi", type=int, default=150, help="resolution of png/jpeg/tiff plots (default 150)")
    parser.add_argument("--no-network", action="store_true",
                        help="don't start networking (R's sockets and download.file() then fail at once)")
    parser.add_argument("--mount", type=Path, metavar="DIR",
                        help="host folder R works in, live (default: the script's folder, or the "
                             "current folder with -e)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    return parser


def _plot_output(args: argparse.Namespace) -> PlotOutput | None:
    """The --plots options as a PlotOutput; raises ValueError with a message for the user."""
    from webr_desktop.runtime.headless import PlotOutput

    if args.plots is None:
        return None
    try:
        width, height = (float(v) for v in args.plot_size.lower().split("x"))
    except ValueError:
        raise ValueError(f"--plot-size takes WIDTHxHEIGHT in inches, like 7x5, not {args.plot_size!r}") from None
    try:
        spec = ExportSpec(args.plot_format, width, height, args.plot_dpi).validated()
    except ExportSpecError as exc:
        raise ValueError(str(exc)) from None
    return PlotOutput(args.plots, spec)


def _fetch_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="webr-desktop fetch-runtime",
        description="Fetch the pinned webR with npm, verify its integrity and unpack it.",
    )
    parser.add_argument("--dest", type=Path, help="where to unpack (default: the app's runtime folder)")
    parser.add_argument("--force", action="store_true", help="fetch again even if the runtime is intact")
    parser.add_argument("--check", action="store_true", help="only verify the installed runtime (every file hashed)")
    return parser


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _cmd_run(argv: list[str]) -> int:
    args = _run_parser().parse_args(argv)
    _setup_logging(args.verbose)
    if args.expr:
        source, filename = "\n".join(args.expr), "<-e>"
    else:
        try:
            source = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"webr-desktop run: cannot read {args.file}: {exc}", file=sys.stderr)
            return 2
        filename = str(args.file)
    if "\x00" in source:
        print("webr-desktop run: the R source contains NUL bytes", file=sys.stderr)
        return 2
    try:
        plots = _plot_output(args)
    except ValueError as exc:
        print(f"webr-desktop run: {exc}", file=sys.stderr)
        return 2
    mount = args.mount or (args.file.resolve().parent if args.file else Path.cwd())
    if not mount.is_dir():
        print(f"webr-desktop run: --mount {mount}: not a folder", file=sys.stderr)
        return 2
    from webr_desktop.app import run_headless

    return run_headless(source, filename, plots=plots, mount=mount, network=not args.no_network)


def _cmd_fetch(argv: list[str]) -> int:
    from webr_desktop.core import paths
    from webr_desktop.core.runtime_assets import RuntimeAssetError, check_runtime, fetch_runtime

    args = _fetch_parser().parse_args(argv)
    built_in = paths.bundled_runtime_dir() if args.dest is None else None
    try:
        if built_in is not None:  # an installer build: nothing to fetch, --check re-hashes it
            info = check_runtime(built_in, deep=args.check)
            print(f"webR {info.webr_version} (R {info.r_version}) is built into this app "
                  f"({info.path}); nothing to fetch", file=sys.stderr)
            return 0
        if args.check:
            info = check_runtime(args.dest, deep=True)
        else:
            info = fetch_runtime(args.dest, force=args.force, log=lambda m: print(m, file=sys.stderr))
    except RuntimeAssetError as exc:
        print(f"webr-desktop fetch-runtime: {exc}", file=sys.stderr)
        return 1
    print(f"webR {info.webr_version} (R {info.r_version}) verified in {info.path}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [PROXY_CHILD_FLAG]:  # a bundle re-invoking itself as the network proxy
        from webr_desktop.net.proxy_main import main as proxy_main

        return proxy_main()
    if argv and argv[0] == "run":
        return _cmd_run(argv[1:])
    if argv and argv[0] == "fetch-runtime":
        return _cmd_fetch(argv[1:])
    if argv and argv[0] == "packages":
        from webr_desktop.cli_packages import main as packages_main

        return packages_main(argv[1:])
    args = _main_parser().parse_args(argv)
    if args.version:
        print(_version_text())
        return 0
    _setup_logging(args.verbose)
    if args.path is not None and not args.path.exists():
        print(f"webr-desktop: {args.path} does not exist", file=sys.stderr)
        return 2
    from webr_desktop.app import run_gui

    return run_gui(args.path, exit_after_first_prompt=args.exit_after_first_prompt)
