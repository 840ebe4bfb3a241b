"""The Files pane: the project folder as a live tree, and the crash-recovery prompt."""
