"""Networking for R: the websockify child process, its token/policy plugins and the SOCKS5 endpoint."""
