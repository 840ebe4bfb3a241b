"""webR Desktop: a desktop R IDE whose R is webR, run in a hidden QtWebEngine page."""

__version__ = "0.1.0"
