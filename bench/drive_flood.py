"""Pre-auth flood on the DriveFS endpoint; prints one JSON object.

Four concurrent clients each declare a 500 MiB body to ``/api/drive`` with a wrong secret (in
the header, then in no header at all: the stock body-secret form) and push it as fast as the
server takes it.

accepted_mib_max   = the most any one client got into the server's socket before it was cut
                     off (kernel buffers only: the server reads none of it). Before issue 14:
                     500 (all of it, buffered and parsed).
server_rss_mb      = growth of this process's peak RSS (the server) over both floods. Before
                     issue 14: ~2000.

Linux only (/proc clear_refs + VmHWM). Usage: .venv/bin/python bench/drive_flood.py [--load N]
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_load_argument, cpu_load, emit_json, rnd  # noqa: E402

BIG = 500 << 20


def _kb(field: str) -> int:
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_argument(parser)
    args = parser.parse_args()
    with cpu_load(args.load):
        result = measure()
    emit_json({"benchmark": "drive_flood", "load": args.load, **result})
    return 0


def measure() -> dict:
    from webr_desktop.server.local_server import LocalServer

    srv = LocalServer()
    srv.start()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak (VmHWM)
    before = _kb("VmRSS")
    accepted: list[int] = []

    def flood(header: str, sent: list[int], i: int) -> None:
        sock = socket.create_connection(("127.0.0.1", srv.port))
        sock.sendall(f"POST /api/drive HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n{header}"
                     f"Content-Length: {BIG}\r\n\r\n".encode())
        block = b"\0" * (1 << 20)
        try:
            while sent[i] < BIG:
                sent[i] += sock.send(block)
        except OSError:
            pass  # reset: the server closed on us
        finally:
            sock.close()

    for header in ("X-WD-Secret: wrong\r\n", ""):
        sent = [0] * 4
        threads = [threading.Thread(target=flood, args=(header, sent, i)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        accepted += sent
    growth = (_kb("VmHWM") - before) / 1024
    srv.close()
    return {"accepted_mib_max": rnd(max(accepted) / 2**20, 1), "server_rss_mb": rnd(growth, 1)}


if __name__ == "__main__":
    sys.exit(main())
