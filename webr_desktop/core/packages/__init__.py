"""Packages for webR, managed on the host in pure Python (no Qt): issue 13.

``dcf`` reads and writes R's DCF files, ``versions`` compares versions and parses dependency
fields, ``sources`` knows where packages come from (repositories, local folders) and ``cache``
keeps every download, ``resolver`` turns names into an install plan, ``download`` gets a
planned archive verified, ``archive`` unpacks and checks one, ``library`` installs atomically
into the persistent host library, ``staging`` hands source packages to R to build, ``seeding``
writes local repositories, ``search`` finds packages by name and title, and ``service``
(``PackageService``) ties them together for the server route (``server.packages``), the
Packages pane and the command line (``cli_packages``).

Entry points: ``PackageService.from_config()``; ``.refresh()``, ``.statuses``,
``.available(query)``, ``.plan(names, dependencies=)``, ``.plan_files(paths)``,
``.install(plan, progress)``, ``.remove(names)``, ``.installed()``, ``.old_packages()``,
``.seed(names, to_dir)``, ``.set_sources(configs)``; for source packages
``.source_archive(item)`` + ``.install_built(item, tgz)`` or ``.stage_source(item)`` +
``.commit_stage(id)``. Every failure is a ``errors.PackageError`` whose text is for the user.
"""
