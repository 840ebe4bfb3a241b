"""``webr-desktop packages install|remove|list|available|seed|sources`` for scripts and installers.

Works on the same persistent library and sources as the app (no webR needed: binaries are
unpacked and checked in Python). Source packages are built inside webR, so ``install`` refuses
them here with that reason: install them from the app's console (or ``webr-desktop run -e``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from webr_desktop.core import paths
from webr_desktop.core.packages import sources
from webr_desktop.core.packages.errors import PackageError
from webr_desktop.core.packages.service import PackageService, Progress


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="webr-desktop packages",
                                     description="Manage the persistent R package library of webR Desktop.")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--repos", action="append", metavar="URL_OR_DIR",
                        help="use this repository or local folder instead of the configured sources (repeatable)")
    common.add_argument("--library", type=Path, metavar="DIR",
                        help="library folder (default: the app's persistent library)")
    common.add_argument("--cache", type=Path, metavar="DIR", help="package cache folder (default: the app's)")
    deps = argparse.ArgumentParser(add_help=False)
    deps.add_argument("--no-deps", action="store_true", help="don't add dependencies (dependencies = FALSE)")
    deps.add_argument("--suggests", action="store_true", help="also the named packages' Suggests (dependencies = TRUE)")
    p = sub.add_parser("install", parents=[common, deps], help="install packages and their dependencies")
    p.add_argument("names", nargs="+")
    p = sub.add_parser("remove", parents=[common], help="remove installed packages")
    p.add_argument("names", nargs="+")
    sub.add_parser("list", parents=[common], help="list installed packages")
    p = sub.add_parser("available", parents=[common], help="search the sources by name and title")
    p.add_argument("query", nargs="*")
    p = sub.add_parser("seed", parents=[common, deps],
                       help="copy packages and all their dependencies into a local repository folder")
    p.add_argument("names", nargs="+")
    p.add_argument("--to", type=Path, required=True, metavar="DIR", help="the repository folder to write")
    p = sub.add_parser("sources", help="list, add or remove the configured sources (in order)")
    p.add_argument("action", nargs="?", choices=("list", "add", "remove"), default="list")
    p.add_argument("location", nargs="?", help="a repository URL or a local folder")
    p.add_argument("--first", action="store_true", help="add it before the others (searched first)")
    return parser


def _sources(args: argparse.Namespace) -> int:
    path = paths.package_sources_file()
    configs = sources.load_config(path)
    if args.action != "list":
        if not args.location:
            print(f"webr-desktop packages sources {args.action}: give a URL or folder", file=sys.stderr)
            return 2
        location = args.location
        if not location.startswith(("http://", "https://")):
            location = str(Path(location).expanduser().resolve())
        configs = [c for c in configs if c.location.rstrip("/") != location.rstrip("/")]
        if args.action == "add":
            entry = sources.SourceConfig("repo" if location.startswith(("http://", "https://")) else "local", location)
            configs = [entry, *configs] if args.first else [*configs, entry]
        sources.save_config(path, configs)
    for config in configs:
        print(f"{config.kind}\t{config.location}{'' if config.enabled else chr(9) + 'disabled'}")
    return 0


def _progress(event: Progress) -> None:
    if event.phase == "download":
        if event.total and event.done == event.total:
            print(f"  downloaded {event.package} ({event.total // 1024} KiB)", file=sys.stderr)
    elif event.phase in ("queued", "install", "error"):
        text = {"queued": "waiting for another install to finish", "install": "installing"}.get(event.phase, "")
        print(f"  {text} {event.package} {event.message}".rstrip(), file=sys.stderr)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.command == "sources":
        return _sources(args)
    service = PackageService.from_config(repos=args.repos, library_root=args.library, cache_root=args.cache)
    dependencies: object = None
    if getattr(args, "no_deps", False):
        dependencies = False
    elif getattr(args, "suggests", False):
        dependencies = True
    try:
        if args.command == "install":
            plan = service.plan(args.names, dependencies=dependencies)
            for item in plan:
                size = f", {item.size // 1024} KiB" if item.size else ""
                print(f"{item.name} {item.version} ({item.kind} from {item.source}{size})", file=sys.stderr)
            done = service.install(plan, _progress)
            print(f"installed {len(done)} package(s) into {service.library.root}", file=sys.stderr)
        elif args.command == "remove":
            removed = service.remove(args.names)
            for name in args.names:
                print(f"{'removed' if name in removed else 'not installed:'} {name}", file=sys.stderr)
            return 0 if len(removed) == len(args.names) else 1
        elif args.command == "list":
            for pkg in service.installed():
                print(f"{pkg.name}\t{pkg.version}\t{pkg.source}\t{pkg.title}")
        elif args.command == "available":
            for status in service.statuses:
                if status.error:
                    print(f"{status.source}: {status.error}{' (using the saved index)' if status.stale else ''}",
                          file=sys.stderr)
            for c in service.available(" ".join(args.query)):
                print(f"{c.name}\t{c.version}\t{c.kind}\t{c.source}\t{c.title}")
        elif args.command == "seed":
            written = service.seed(args.names, args.to, dependencies=dependencies, progress=_progress)
            print(f"wrote {len(written)} package(s) and their index into {args.to}", file=sys.stderr)
    except PackageError as exc:
        print(f"webr-desktop packages: {exc}", file=sys.stderr)
        return 1
    return 0
