"""One module per pane; each has one ``add_<pane>(window, …)`` that creates the pane and its
model or service, adds it to the window and connects its own signals.

Panes never import one another (an import-linter contract): links between panes are made in
``webr_desktop.app.window``, where they can all be read in one place.
"""
