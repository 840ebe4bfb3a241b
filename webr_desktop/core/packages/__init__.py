"""Packages for webR, managed on the host in pure Python (no Qt): issue 13.

``dcf`` reads and writes R's DCF files, ``versions`` compares versions and parses dependency
fields, ``sources`` knows where packages come from (repositories, local folders, the cache),
``resolver`` turns names into an install plan, ``archive`` unpacks and checks an archive,
``library`` installs atomically into the persistent host library, and ``service`` ties them
together for the server route, the Packages pane and the command line.
"""
