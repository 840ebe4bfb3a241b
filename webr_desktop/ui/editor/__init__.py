"""The script editor: tabs of R files with highlighting, run-at-cursor and completions."""
