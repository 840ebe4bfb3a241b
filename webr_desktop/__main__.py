"""Allow ``python -m webr_desktop``."""

from webr_desktop.cli import main

raise SystemExit(main())
