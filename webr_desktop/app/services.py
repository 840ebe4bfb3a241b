"""The non-UI services of one run: loopback server, R session, host folders, networking.

Start-up order matters for speed: the server and the hidden page start first so webR boots
while the window is being built. Shutdown runs in the reverse order of what depends on what:
the proxy child first (no child outlives the app), then R, then the server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from webr_desktop.core import paths
from webr_desktop.core.rcode import r_string
from webr_desktop.core.runtime_assets import RuntimeAssetError, RuntimeInfo, check_runtime

if TYPE_CHECKING:
    from webr_desktop.core.packages.service import PackageService
    from webr_desktop.models.package_session import PackageSession
    from webr_desktop.models.project import ProjectService
    from webr_desktop.net.progress import DownloadProgress
    from webr_desktop.net.proxy import NetworkService
    from webr_desktop.runtime.session import RSession
    from webr_desktop.server.blob_inbox import BlobInbox
    from webr_desktop.server.local_server import LocalServer

log = logging.getLogger(__name__)

PAGE_PATH = "page/index.html"


@dataclass
class Services:
    """The non-UI services of one app run."""

    server: LocalServer
    session: RSession
    project: ProjectService  # host folders mounted in R, R's working directory
    network: NetworkService  # the proxy child that carries R's sockets
    downloads: DownloadProgress  # download.file() progress, for the status bar
    packages: PackageSession  # the persistent library in R, R's package verbs' offers
    package_service: PackageService  # sources, cache, library (the Packages pane, the CLI)

    def shutdown(self) -> None:
        self.network.stop()  # no proxy child outlives the app
        self.session.shutdown()
        self.server.close()


def check_runtime_or_report(err: TextIO) -> RuntimeInfo | None:
    """The installed webR runtime, or None after telling ``err`` what is wrong with it."""
    try:
        return check_runtime()
    except RuntimeAssetError as exc:
        err.write(f"webr-desktop: {exc}\n")
        return None


def _r_setup_code(resources: Path) -> str:
    """R code run at every R start: the app's R tools and the worker-side patches."""
    first = ["tools.R", "plots.R"]  # the others build on these
    last = ["unmask.R"]  # moves the app's versions of R functions into R's own namespaces
    names = first + sorted(p.name for p in (resources / "R").glob("*.R") if p.name not in first + last) + last
    r_files = [(resources / "R" / name).read_text(encoding="utf-8") for name in names]
    # The channel mend first (it serves all R); then the canvas device's memory mend.
    worker_names = ("event_channel.js", "flush_at_prompt.js", "canvas_mend.js")
    worker = [(resources / "worker" / name).read_text(encoding="utf-8") for name in worker_names]
    code = "\n".join([*r_files, *(f"webr::eval_js({r_string(js)})" for js in worker)])
    # Parsed without source references: they are ~3/4 of the parse (0.11 s against 0.03 s of
    # R time for ~120 KB in webR, measured) and only serve printing the app's own functions.
    return f"eval(parse(text = {r_string(code)}, keep.source = FALSE), envir = globalenv())\ninvisible(NULL)\n"


def start_server(info: RuntimeInfo) -> LocalServer:
    """The loopback server for the page and the webR assets (and host folders), started."""
    from webr_desktop.server.local_server import LocalServer

    server = LocalServer()
    server.mount("page", paths.resources_dir() / "page")
    server.mount("webr", info.path, immutable=True)
    server.start()
    return server


def new_project(session: RSession, server: LocalServer) -> ProjectService:
    """The service that mounts host folders in ``session`` through ``server``'s drives."""
    from webr_desktop.models.project import ProjectService

    return ProjectService(session, server.drives, server.secret)


def new_session(page_url: str, blobs: BlobInbox | None = None) -> RSession:
    """An R session (not started) for the page at ``page_url``, with the app's R set-up.

    ``blobs`` is the page server's inbox for binary payloads (exports, quick-plot data).
    """
    from webr_desktop.runtime.session import RSession

    return RSession(page_url, setup_code=_r_setup_code(paths.resources_dir()), blobs=blobs)


def new_network(
    session: RSession, server: LocalServer, policy: str = "all", allow: tuple[str, ...] = (),
) -> tuple[NetworkService, DownloadProgress]:
    """Networking for ``session``: the proxy service (not started) and download progress.

    R learns the proxy's port and state at every R start and every state change, so a
    restarted proxy child or the Network toggle takes effect at R's next connection.
    """
    from webr_desktop.net.progress import DownloadProgress
    from webr_desktop.net.proxy import NetworkService
    from webr_desktop.runtime.page import request_guard
    from webr_desktop.server.fetch import FETCH_PATH, FetchService

    downloads = DownloadProgress()
    network = NetworkService(server.origin, fetch_url=server.url(FETCH_PATH), policy=policy, allow=allow)
    fetch = FetchService(network.destination_policy, downloads.report)  # policy and switch at each request
    server.add_handler(FETCH_PATH, fetch.handle)

    installed_in: list[object] = [None]  # the R start (Ready) whose worker has the routing

    def _tell_r(*_args: object) -> None:
        ready = session.info
        if ready is None:  # R is not up: its sig_started will tell it
            return
        # The routing snippets go once per R start; a state change sends only the new state.
        session.eval(network.r_config_code() if installed_in[0] is ready else network.r_setup_code())
        installed_in[0] = ready

    session.sig_started.connect(_tell_r)
    network.sig_state_changed.connect(_tell_r)

    def _guard_page(*_args: object) -> None:
        # The page itself reaches the web only while R may reach all of it through the proxy.
        request_guard().set_network(network.port, network.is_on and network.policy[0] == "all")

    network.sig_state_changed.connect(_guard_page)
    _guard_page()
    return network, downloads


def new_packages(session: RSession, server: LocalServer, info: RuntimeInfo,
                 service: PackageService | None = None,
                 network: NetworkService | None = None) -> tuple[PackageSession, PackageService]:
    """The persistent library and the package service for ``session``, served by ``server``.

    R sees the library read-only (a manifest + lazy files from a static mount, see
    server/library_view.py); it changes only through the package route, where every archive
    is checked in Python. ``service``: one over other folders (tests, benchmarks).
    """
    from webr_desktop.core.packages.service import PackageService
    from webr_desktop.models.package_session import PackageEndpoints, PackageSession
    from webr_desktop.server.blob_inbox import BLOB_PATH
    from webr_desktop.server.library_view import LIBRARY_PATH, LIBRARY_PREFIX, LibraryView
    from webr_desktop.server.packages import PACKAGES_PATH, PackagesRoute, install_route

    if service is None:
        service = PackageService.from_config(webr_version=info.webr_version)
    if network is not None:  # the app's downloads of packages keep the Network switch and policy
        from webr_desktop.server.package_http import guarded_opener

        service.use_opener(guarded_opener(network.destination_policy))
    root = service.library.root
    root.mkdir(parents=True, exist_ok=True)
    server.mount(LIBRARY_PREFIX, root)
    server.add_handler(LIBRARY_PATH, LibraryView(root).handle)
    endpoints = PackageEndpoints(files_url=server.url(LIBRARY_PREFIX + "/"), library_url=server.url(LIBRARY_PATH),
                                 api_url=server.url(PACKAGES_PATH), blob_url=server.url(BLOB_PATH))
    model = PackageSession(session, endpoints)
    route = PackagesRoute(service, progress=model.report_progress, changed=model.report_changed,
                          take_blob=server.blobs.take)
    install_route(server, route)
    return model, service


def start_services(info: RuntimeInfo, *, network: bool = True, policy: str = "all",
                   allow: tuple[str, ...] = (), script: bool = False) -> Services:
    """Start the loopback server, networking (unless ``network`` is False) and an R session
    (the Qt app must exist). ``script``: R non-interactive, reading a script as Rscript does."""
    server = start_server(info)
    session = new_session(server.url(PAGE_PATH) + ("?mode=script" if script else ""), server.blobs)
    project = new_project(session, server)  # before start: it re-mounts on every sig_started
    proxy, downloads = new_network(session, server, policy, allow)
    packages, package_service = new_packages(session, server, info, network=proxy)  # before start: it sets up every R start
    if network:
        proxy.start()  # the child is up long before R (≈0.3 s against ≈1.5 s)
    session.start()
    return Services(server=server, session=session, project=project, network=proxy, downloads=downloads,
                    packages=packages, package_service=package_service)
