"""Dialogs that R opens through rstudioapi (selectFile, showPrompt, …)."""
