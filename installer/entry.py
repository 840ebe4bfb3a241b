"""PyInstaller's entry script: the bundle's ``webr-desktop`` binary starts here.

``freeze_support`` first, so a multiprocessing child the bundle starts never runs the app;
then ``cli.main``, which also hands the private proxy-child flag to the network proxy.
"""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from webr_desktop.cli import main

    sys.exit(main())
