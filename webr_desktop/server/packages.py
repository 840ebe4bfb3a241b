"""The package route R's ``install.packages()`` override calls (sync XHR from the worker).

R in the worker is untrusted: it can only name packages, versions and sources the configured
sources (or the repositories it passed as ``repos``, http(s) only) actually offer; it never
hands Python a path or URL to fetch or write. Every reply is JSON; a failure is
``{"error": message, "type": class}`` with a message R shows as is (status 200 for a package
error such as NotFoundError or ChecksumError, 400 for a malformed request, type "BadRequest").
Installs run in the server thread that answers, one at a time (the library's queue); progress
goes to the ``progress`` callback from that thread. Stdlib + core only.

Requests (POST JSON to ``/<secret>/api/packages``; the URL secret is checked before the body
is read, by LocalServer):
  {"op": "status"}                                  → {"library", "stamp", "sources": [status]}
  {"op": "refresh"}                                 → {"sources": [status]}
  {"op": "available", "query"?, "limit"?, "repos"?} → {"packages": [pkg + "fields"], "sources"}
  {"op": "installed"}                               → {"library", "packages": [installed]}
  {"op": "old", "repos"?}                           → {"packages": [{package, installed, available, source, kind}]}
  {"op": "plan", "pkgs": [..], "dependencies"?, "repos"?}  → {"plan": [item], "sources"}
  {"op": "install_one", "package", "version", "source", "repos"?}  → {"installed": installed}
  {"op": "install_items", "packages", "versions", "sources", "repos"?}  → {"installed": [installed]}
  {"op": "install", "pkgs": [..], "dependencies"?, "repos"?}  → {"plan", "installed": [..]}
  {"op": "stage_source", "package", "version", "source", "repos"?}
        → {"stage": {"stage", "package", "version", "source_dir", "out_dir"}}
  {"op": "commit_stage", "stage"}                   → {"installed": installed}
  {"op": "discard_stage", "stage"}                  → {}
  {"op": "fetch_source", "package", "version", "source"} → the source .tar.gz itself
        (application/gzip; errors stay JSON), for R to build in its own memory, then:
  {"op": "install_built", "package", "version", "source", "blob"} → {"installed": installed}
        (blob: the built package as a .tgz uploaded to api/blob; checked like any binary)
  {"op": "install_file", "filename", "blob", "dependencies"?} → {"plan": [item]} (then install_one /
        fetch_source each item, without "repos"; the file's item has source = its saved path)
  {"op": "remove", "pkgs": [..]}                    → {"removed": [..]}
item = {package, version, source, kind, size, title, required_by};
installed = {package, version, title, source, path}.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from webr_desktop.core.packages.errors import PackageError
from webr_desktop.core.packages.model import SOURCE
from webr_desktop.core.packages.service import PackageService, Progress, ProgressCallback

logger = logging.getLogger(__name__)

PACKAGES_PATH = "api/packages"
MAX_BODY = 1024 * 1024
MAX_NAMES = 2000
MAX_REPOS = 20
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9.]{0,99}$")
_FILENAME = re.compile(r"^[A-Za-z][A-Za-z0-9.]{0,99}_[0-9][0-9.-]{0,49}\.(tgz|tar\.gz)$")

Reply = tuple[int, str, bytes]


class BadRequest(Exception):
    """A request no honest client makes: answered 400 with the reason."""


def _json(value: object, status: int = 200) -> Reply:
    return status, "application/json", json.dumps(value).encode()


class PackagesRoute:
    """``handle`` is a LocalServer handler; ``progress`` sees every install step (the pane's
    progress bars) and ``changed`` the names installed or removed (the pane's refresh)."""

    def __init__(self, service: PackageService, *, progress: ProgressCallback | None = None,
                 changed: Callable[[list[str]], None] | None = None,
                 take_blob: Callable[[str], bytes | None] | None = None) -> None:
        self.service = service
        self._progress = progress
        self._changed = changed
        self._take_blob = take_blob
        self._lock = threading.Lock()
        self._by_repos: dict[tuple[str, ...], PackageService] = {}

    def handle(self, body: bytes, headers: Mapping[str, str]) -> Reply:
        try:
            request = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _json({"error": "the request is not valid JSON", "type": "BadRequest"}, 400)
        try:
            if not isinstance(request, dict) or not isinstance(request.get("op"), str):
                raise BadRequest("expected a JSON object with 'op'")
            method = getattr(self, f"_op_{request['op']}", None)
            if method is None:
                raise BadRequest(f"unknown op {request['op'][:40]!r}")
            result = method(request)
        except BadRequest as exc:
            return _json({"error": str(exc), "type": "BadRequest"}, 400)
        except PackageError as exc:
            return _json({"error": str(exc), "type": type(exc).__name__})
        except OSError as exc:
            logger.warning("package operation failed: %s", exc)
            return _json({"error": f"the package operation failed: {exc.strerror or exc}", "type": "OSError"})
        if isinstance(result, bytes):
            return 200, "application/gzip", result
        return _json(result)

    # ---- validation ------------------------------------------------------------------------
    def _service(self, request: dict) -> PackageService:
        repos = request.get("repos")
        if repos is None:
            return self.service
        if (not isinstance(repos, list) or not 0 < len(repos) <= MAX_REPOS
                or not all(isinstance(r, str) and r.lower().startswith(("http://", "https://")) and len(r) < 2000
                           for r in repos)):
            raise BadRequest("repos must be a list of http(s) repository URLs")
        key = tuple(r.rstrip("/") for r in repos)
        with self._lock:
            if key not in self._by_repos:
                self._by_repos[key] = self.service.with_repos(key)
            return self._by_repos[key]

    @staticmethod
    def _names(request: dict, field: str = "pkgs") -> list[str]:
        names = request.get(field)
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or len(names) > MAX_NAMES or not all(isinstance(n, str) for n in names):
            raise BadRequest(f"{field} must be a list of package names")
        bad = [n for n in names if not _NAME.match(n)]
        if bad:
            raise BadRequest(f"{bad[0][:100]!r} is not a valid package name")
        return names

    @staticmethod
    def _dependencies(request: dict) -> object:
        value = request.get("dependencies")
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value) and len(value) < 10:
            return value
        raise BadRequest("dependencies must be null, true, false or field names")

    def _item(self, service: PackageService, request: dict):
        name = request.get("package")
        if not isinstance(name, str) or not _NAME.match(name):
            raise BadRequest("package must be a package name")
        version, source = request.get("version"), request.get("source")
        if not isinstance(version, str) or not isinstance(source, str):
            raise BadRequest("version and source must be strings")
        return service.find_item(name, version, source)

    def _report(self, event: Progress) -> None:
        if self._progress is not None:
            try:
                self._progress(event)
            except Exception:  # a broken listener must not break the install
                logger.exception("package progress listener failed")

    def _notify(self, names: list[str]) -> None:
        if self._changed is not None and names:
            try:
                self._changed(names)
            except Exception:
                logger.exception("package change listener failed")

    # ---- ops -------------------------------------------------------------------------------
    def _op_status(self, request: dict) -> dict[str, Any]:
        library = self.service.library
        return {"library": str(library.root), "stamp": library.stamp(),
                "sources": [s.as_json() for s in self.service.statuses]}

    def _op_refresh(self, request: dict) -> dict[str, Any]:
        return {"sources": [s.as_json() for s in self._service(request).refresh()]}

    def _op_available(self, request: dict) -> dict[str, Any]:
        service = self._service(request)
        query, limit = request.get("query") or "", request.get("limit")
        if not isinstance(query, str) or (limit is not None and not (isinstance(limit, int) and limit > 0)):
            raise BadRequest("query must be a string and limit a positive integer")
        found = service.available(query[:200], limit=limit)
        return {"packages": [{**c.as_json(), "fields": c.record} for c in found],
                "sources": [s.as_json() for s in service.statuses]}

    def _op_installed(self, request: dict) -> dict[str, Any]:
        return {"library": str(self.service.library.root),
                "packages": [p.as_json() for p in self.service.installed()]}

    def _op_old(self, request: dict) -> dict[str, Any]:
        return {"packages": self._service(request).old_packages()}

    def _op_plan(self, request: dict) -> dict[str, Any]:
        service = self._service(request)
        plan = service.plan(self._names(request), dependencies=self._dependencies(request))
        return {"plan": [i.as_json() for i in plan], "sources": [s.as_json() for s in service.statuses]}

    def _op_install_one(self, request: dict) -> dict[str, Any]:
        service = self._service(request)
        item = self._item(service, request)
        if item.kind == SOURCE:
            raise PackageError(f"'{item.name}' is a source package: build it with op stage_source")
        done = service.install([item], self._report)
        self._notify([item.name])
        return {"installed": done[0].as_json()}

    def _op_install_items(self, request: dict) -> dict[str, Any]:
        """A plan R holds (binaries only), installed all or nothing: one bad archive late in a
        plan leaves the library as it was, dependencies included."""
        service = self._service(request)
        names, versions, sources = (request.get(k) for k in ("packages", "versions", "sources"))
        if not (isinstance(names, list) and isinstance(versions, list) and isinstance(sources, list)
                and 0 < len(names) == len(versions) == len(sources)):
            raise BadRequest("packages, versions and sources must be lists of one length")
        items = [self._item(service, {"package": n, "version": v, "source": s})
                 for n, v, s in zip(names, versions, sources)]
        if any(item.kind == SOURCE for item in items):
            raise BadRequest("source packages are built one by one (op fetch_source)")
        done = service.install(items, self._report)
        self._notify([item.name for item in items])
        return {"installed": [p.as_json() for p in done]}

    def _op_install(self, request: dict) -> dict[str, Any]:
        service = self._service(request)
        plan = service.plan(self._names(request), dependencies=self._dependencies(request))
        done = service.install(plan, self._report)
        self._notify([p.name for p in done])
        return {"plan": [i.as_json() for i in plan], "installed": [p.as_json() for p in done]}

    def _op_stage_source(self, request: dict) -> dict[str, Any]:
        service = self._service(request)
        return {"stage": service.stage_source(self._item(service, request), self._report)}

    def _op_commit_stage(self, request: dict) -> dict[str, Any]:
        stage = request.get("stage")
        if not isinstance(stage, str):
            raise BadRequest("stage must be a string")
        done = self.service.commit_stage(stage)
        self._notify([done.name])
        return {"installed": done.as_json()}

    def _op_discard_stage(self, request: dict) -> dict[str, Any]:
        stage = request.get("stage")
        if not isinstance(stage, str):
            raise BadRequest("stage must be a string")
        self.service.stages.discard(stage)
        return {}

    def _op_fetch_source(self, request: dict) -> bytes:
        service = self._service(request)
        return service.source_archive(self._item(service, request), self._report).read_bytes()

    def _op_install_built(self, request: dict) -> dict[str, Any]:
        service = self._service(request)
        item = self._item(service, request)
        data = self._blob(request)
        folder = service.cache.root / "built"
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"{item.name}_", suffix=".tgz", dir=folder)
        path = Path(name)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        try:
            done = service.install_built(item, path, self._report)
        finally:
            path.unlink(missing_ok=True)
        self._notify([done.name])
        return {"installed": done.as_json()}

    def _blob(self, request: dict) -> bytes:
        blob = request.get("blob")
        data = self._take_blob(blob) if self._take_blob is not None and isinstance(blob, str) else None
        if data is None:
            raise BadRequest("no uploaded archive with that blob id")
        return data

    def _op_install_file(self, request: dict) -> dict[str, Any]:
        filename = request.get("filename")
        if not isinstance(filename, str) or not _FILENAME.match(filename):
            raise BadRequest("filename must look like pkg_1.0.tgz or pkg_1.0.tar.gz")
        data = self._blob(request)
        folder = self.service.cache.root / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / filename
        path.write_bytes(data)
        plan = self.service.plan_files([path], dependencies=self._dependencies(request))
        return {"plan": [i.as_json() for i in plan]}

    def _op_remove(self, request: dict) -> dict[str, Any]:
        removed = self.service.remove(self._names(request))
        self._notify(removed)
        return {"removed": removed}


def install_route(server: Any, route: PackagesRoute) -> None:
    """Register ``route`` on a LocalServer at ``/<secret>/api/packages``."""
    server.add_handler(PACKAGES_PATH, route.handle, max_body=MAX_BODY)


__all__ = ["PACKAGES_PATH", "PackagesRoute", "install_route"]
