# webR Desktop's packages in R: the persistent host library at R_LIBS_USER (first on
# .libPaths()) and R's own verbs (install.packages, remove.packages, update.packages,
# old.packages, available.packages, webr::install) over the app's package service.
#
# R drives an install: it asks the app for the plan (dependencies resolved in Python over all
# configured sources), then installs package by package through the app, which downloads,
# checks and moves each archive into the library atomically. R never writes the library: R
# sees it read-only (resources/worker/lazy_library.js) and, after each change, asks for the
# new manifest of what changed. Pure-R source packages are built here, in webR's memory
# (packages_build.R), and handed back as a binary archive.
#
# The verbs replace utils' bindings (its namespace and the attached package:utils), as the app
# does for utils::View, so `install.packages` and `utils::install.packages` are the same.
local({
  tools <- as.environment("tools:webr_desktop")
  st <- new.env(parent = emptyenv())
  st$ready <- FALSE
  st$root <- ""
  st$events <- list() # id -> list(kind, packages, source): offers the app shows (wd-packages)
  st$last_event <- 0L
  tools$.wd.pkg <- st
  NA_MARK <- "\001NA\001"

  pkg_stop <- function(msg) {
    stop(structure(class = c("wdPackageError", "error", "condition"), list(message = msg, call = NULL)))
  }
  js <- function(x) encodeString(enc2utf8(as.character(x)), quote = "\"")
  json_str <- function(s) {
    s <- enc2utf8(as.character(s))
    s <- gsub("\\", "\\\\", s, fixed = TRUE)
    s <- gsub("\"", "\\\"", s, fixed = TRUE)
    s <- gsub("\n", "\\n", s, fixed = TRUE)
    s <- gsub("\t", "\\t", s, fixed = TRUE)
    s <- gsub("[\001-\037]", " ", s)
    paste0("\"", s, "\"")
  }
  # JSON of NULL, TRUE/FALSE, numbers, strings, I(character) (always an array) and named lists.
  to_json <- function(x) {
    if (is.null(x)) return("null")
    if (is.list(x)) {
      keep <- !vapply(x, is.null, NA)
      parts <- vapply(x[keep], to_json, "")
      return(paste0("{", paste0(json_str(names(x)[keep]), ":", parts, collapse = ","), "}"))
    }
    if (is.logical(x) && length(x) == 1L && !inherits(x, "AsIs")) return(if (is.na(x)) "null" else tolower(x))
    if (is.numeric(x) && length(x) == 1L && !inherits(x, "AsIs")) return(format(x, scientific = FALSE))
    if (is.character(x) && length(x) == 1L && !inherits(x, "AsIs")) return(json_str(x))
    paste0("[", paste(json_str(as.character(x)), collapse = ","), "]")
  }

  ready <- function() {
    if (!isTRUE(st$ready)) pkg_stop("the app's package service is not available in this R session")
  }
  # One request to the app's package route; an error reply becomes an R error with its text.
  api <- function(op, ...) {
    ready()
    err <- webr::eval_js(sprintf("globalThis.__wdPkgs.call(%s)", js(to_json(c(list(op = op), list(...))))))
    if (nzchar(err)) pkg_stop(err)
    invisible(TRUE)
  }
  # The records of the last reply under `key`, as a data frame of character columns.
  rows <- function(key) {
    v <- webr::eval_js(sprintf("globalThis.__wdPkgs.rows(%s)", js(key)))
    n <- as.integer(v[1L])
    k <- as.integer(v[2L])
    nm <- v[2L + seq_len(k)]
    vals <- v[-seq_len(2L + k)]
    vals[vals == NA_MARK] <- NA_character_
    df <- as.data.frame(matrix(vals, nrow = n, ncol = k), stringsAsFactors = FALSE)
    names(df) <- nm
    df
  }
  tools$.wd.pkg_api <- api
  tools$.wd.pkg_rows <- rows

  # Bring R's view of the library up to date for `names` (NULL: all of it).
  sync <- function(names = NULL) {
    arg <- if (is.null(names)) "null" else to_json(I(names))
    webr::eval_js(sprintf("globalThis.__wdLib.refresh(%s)", js(arg)))
    invisible(NULL)
  }
  tools$.wd.pkg_sync <- function(names = NULL) if (isTRUE(st$ready)) sync(names)

  # Tell the app about something the user may act on (a restart, a missing package).
  offer <- function(kind, packages, source = "") {
    st$last_event <- st$last_event + 1L
    st$events[[as.character(st$last_event)]] <- list(kind = kind, packages = packages, source = source)
    if (length(st$events) > 20L) st$events <- utils::tail(st$events, 20L)
    tools$.wd.post("wd-packages", st$last_event)
  }
  tools$.wd.pkg_offer <- offer
  tools$.wd.pkg_event <- function(id) {
    e <- st$events[[as.character(id)]]
    if (is.null(e)) character() else c(e$kind, e$source, e$packages)
  }

  # ---------------------------------------------------------------- start-up
  # Called by the app at every R start (webr_desktop/models/package_session.py).
  tools$.wd.pkg_start <- function(root, files_url, library_url, api_url, blob_url, lazy_js, api_js) {
    webr::eval_js(lazy_js)
    webr::eval_js(api_js)
    webr::eval_js(sprintf("globalThis.__wdLib.setup(%s, %s, %s)", js(root), js(files_url), js(library_url)))
    webr::eval_js(sprintf("globalThis.__wdPkgs.setup(%s, %s)", js(api_url), js(blob_url)))
    st$root <- root
    st$ready <- TRUE
    sync(NULL)
    .libPaths(c(root, .libPaths()))
    invisible(root)
  }

  # ---------------------------------------------------------------- helpers
  size_text <- function(size) {
    size <- suppressWarnings(as.numeric(size))
    if (is.na(size)) "" else if (size < 1024) sprintf(" (%d bytes)", as.integer(size)) else
      if (size < 1024^2) sprintf(" (%.1f KB)", size / 1024) else sprintf(" (%.1f MB)", size / 1024^2)
  }
  same_lib <- function(lib) {
    isTRUE(normalizePath(lib, mustWork = FALSE) == normalizePath(st$root, mustWork = FALSE))
  }
  # One line for arguments that change nothing here (base R's signature is kept).
  note_ignored <- function(fun, given, ignored) {
    hit <- intersect(given, ignored)
    if (length(hit)) {
      message(sprintf("Note: %s() in webR Desktop ignores %s (no effect here).", fun,
                      paste(sQuote(hit, FALSE), collapse = ", ")))
    }
  }
  repos_arg <- function(repos, given) {
    if (!given) return(NULL)
    repos <- as.character(repos)
    bad <- repos[!grepl("^https?://", repos, ignore.case = TRUE)]
    if (length(bad)) {
      pkg_stop(sprintf(paste0("repos must be web repositories (http:// or https://), not %s; ",
                              "add a local folder in Packages > Repositories..."), sQuote(bad[1L], FALSE)))
    }
    I(sub("/+$", "", repos))
  }
  deps_arg <- function(dependencies) {
    if (is.null(dependencies) || (length(dependencies) == 1L && is.na(dependencies))) return(NULL)
    if (is.logical(dependencies)) return(isTRUE(dependencies))
    I(as.character(dependencies))
  }

  # Restarting is the only way R drops a package's old code: say so and offer it.
  after_change <- function(loaded, verb) {
    if (!length(loaded)) return(invisible())
    message(sprintf("%s %s while loaded: restart R to use %s (Session > Restart R).",
                    paste(sQuote(loaded, FALSE), collapse = ", "), verb,
                    if (verb == "removed") "the library without it" else "the new version"))
    offer("restart", loaded)
  }

  # Install a plan (a data frame from the route), dependencies first, package by package.
  run_plan <- function(plan, repos, quiet, requested) {
    if (!nrow(plan)) return(invisible(character()))
    deps <- setdiff(plan$package, requested)
    if (!quiet) {
      message(sprintf("Installing %s into %s", if (nrow(plan) > 1L) "packages" else "package", sQuote(st$root, FALSE)))
      if (length(deps)) {
        message(sprintf("also installing the %s %s", if (length(deps) > 1L) "dependencies" else "dependency",
                        paste(sQuote(deps, FALSE), collapse = ", ")))
      }
    }
    loaded <- intersect(plan$package, loadedNamespaces())
    if (!any(plan$kind == "source")) {
      # Binaries only: the app installs the whole plan or none of it.
      if (!quiet) {
        for (i in seq_len(nrow(plan))) {
          message(sprintf("trying %s %s from %s%s", plan$package[i], plan$version[i], plan$source[i], size_text(plan$size[i])))
        }
      }
      api("install_items", packages = I(plan$package), versions = I(plan$version), sources = I(plan$source),
          repos = repos)
      if (!quiet) {
        for (i in seq_len(nrow(plan))) {
          message(sprintf("* installing *binary* package %s ...\n* DONE (%s %s)", sQuote(plan$package[i], FALSE),
                          plan$package[i], plan$version[i]))
        }
      }
      sync(plan$package)
      after_change(loaded, "updated")
      return(invisible(plan$package))
    }
    # Source packages are built in R one at a time, so such a plan goes package by package.
    done <- character()
    for (i in seq_len(nrow(plan))) {
      it <- plan[i, , drop = FALSE]
      tryCatch({
        if (identical(it$kind, "source")) {
          tools$.wd.pkg_build_install(it, repos, quiet)
        } else {
          if (!quiet) message(sprintf("trying %s %s from %s%s", it$package, it$version, it$source, size_text(it$size)))
          api("install_one", package = it$package, version = it$version, source = it$source, repos = repos)
          if (!quiet) message(sprintf("* installing *binary* package %s ...\n* DONE (%s %s)",
                                      sQuote(it$package, FALSE), it$package, it$version))
        }
      }, wdPackageError = function(e) {
        msg <- conditionMessage(e)
        if (length(done)) msg <- sprintf("%s\n(installed before the failure: %s)", msg, paste(done, collapse = ", "))
        if (length(done)) sync(done)
        pkg_stop(msg)
      })
      sync(it$package)
      done <- c(done, it$package)
    }
    after_change(loaded, "updated")
    invisible(done)
  }

  install_names <- function(pkgs, repos = NULL, dependencies = NA, quiet = FALSE) {
    pkgs <- unique(as.character(pkgs))
    if (!length(pkgs)) pkg_stop("no packages were specified")
    api("plan", pkgs = I(pkgs), dependencies = deps_arg(dependencies), repos = repos)
    plan <- rows("plan")
    run_plan(plan, repos, quiet, pkgs)
  }

  # install.packages("x_1.0.tgz" | "x_1.0.tar.gz", repos = NULL): the file goes to the app,
  # which plans it with whatever it depends on from the configured sources.
  install_files <- function(paths, dependencies = NA, quiet = FALSE) {
    for (path in paths) {
      if (!file.exists(path) || dir.exists(path)) pkg_stop(sprintf("file %s not found", sQuote(path, FALSE)))
      name <- basename(path)
      if (!grepl("^[A-Za-z][A-Za-z0-9.]*_[0-9][0-9.-]*\\.(tgz|tar\\.gz)$", name)) {
        pkg_stop(sprintf("%s is not a package archive: its name must look like pkg_1.0.tgz or pkg_1.0.tar.gz",
                         sQuote(name, FALSE)))
      }
      blob <- webr::eval_js(sprintf("globalThis.__wdPkgs.upload(%s)", js(normalizePath(path))))
      if (!nzchar(blob)) pkg_stop(sprintf("could not hand %s to the app", sQuote(path, FALSE)))
      api("install_file", filename = name, blob = blob, dependencies = deps_arg(dependencies))
      plan <- rows("plan")
      run_plan(plan, NULL, quiet, sub("_.*$", "", name))
    }
    invisible()
  }
  tools$.wd.pkg_install_names <- install_names

  # ---------------------------------------------------------------- R's verbs
  install_packages <- function(pkgs, lib, repos = getOption("repos"), contriburl = NULL, method,
                               available = NULL, destdir = NULL, dependencies = NA,
                               type = getOption("pkgType"), configure.args = getOption("configure.args"),
                               configure.vars = getOption("configure.vars"), clean = FALSE,
                               Ncpus = getOption("Ncpus", 1L), verbose = getOption("verbose"),
                               libs_only = FALSE, INSTALL_opts, quiet = FALSE, keep_outputs = FALSE, ...) {
    given <- names(match.call())[-1L]
    if (missing(pkgs) || !length(pkgs)) pkg_stop("no packages were specified")
    note_ignored("install.packages", given, c("contriburl", "method", "available", "destdir", "type",
      "configure.args", "configure.vars", "clean", "Ncpus", "verbose", "libs_only", "INSTALL_opts",
      "keep_outputs", names(list(...))))
    if (!missing(lib) && !is.null(lib) && !same_lib(lib[1L])) {
      message(sprintf("Note: packages go to the persistent library %s; lib = %s is not used.",
                      sQuote(st$root, FALSE), sQuote(lib[1L], FALSE)))
    }
    if ("repos" %in% given && is.null(repos)) return(invisible(install_files(pkgs, dependencies, quiet)))
    install_names(pkgs, repos_arg(repos, "repos" %in% given), dependencies, quiet)
    invisible()
  }

  remove_packages <- function(pkgs, lib) {
    ready()
    pkgs <- unique(as.character(pkgs))
    if (!missing(lib) && !is.null(lib) && !same_lib(lib[1L])) {
      pkg_stop(sprintf("only the persistent library %s can be changed; %s can't",
                       sQuote(st$root, FALSE), sQuote(lib[1L], FALSE)))
    }
    here <- dir.exists(file.path(st$root, pkgs))
    builtin <- pkgs[!here & pkgs %in% list.files(.Library)]
    if (length(builtin)) {
      pkg_stop(sprintf("%s %s part of webR's built-in library, which can't be changed",
                       paste(sQuote(builtin, FALSE), collapse = ", "), if (length(builtin) > 1L) "are" else "is"))
    }
    if (!all(here)) {
      pkg_stop(sprintf("%s not installed in %s", paste(sQuote(pkgs[!here], FALSE), collapse = ", "),
                       sQuote(st$root, FALSE)))
    }
    message(sprintf("Removing %s from %s", if (length(pkgs) > 1L) "packages" else "package", sQuote(st$root, FALSE)))
    api("remove", pkgs = I(pkgs))
    sync(pkgs)
    after_change(intersect(pkgs, loadedNamespaces()), "removed")
    invisible()
  }

  old_packages <- function(lib.loc = NULL, repos = getOption("repos"), contriburl = NULL, instPkgs = NULL,
                           method, available = NULL, checkBuilt = FALSE, ..., type = getOption("pkgType")) {
    api("old", repos = repos_arg(repos, !missing(repos)))
    old <- rows("packages")
    if (!nrow(old)) return(NULL)
    m <- cbind(Package = old$package, LibPath = st$root, Installed = old$installed, Built = NA_character_,
               ReposVer = old$available, Repository = old$source)
    rownames(m) <- old$package
    m
  }

  update_packages <- function(lib.loc = NULL, repos = getOption("repos"), contriburl = NULL, method,
                              instlib = NULL, ask = TRUE, available = NULL, oldPkgs = NULL, ...,
                              checkBuilt = FALSE, type = getOption("pkgType")) {
    given <- !missing(repos)
    old <- if (given) old_packages(repos = repos) else old_packages()
    if (!is.null(oldPkgs)) old <- old[rownames(old) %in% oldPkgs, , drop = FALSE]
    if (is.null(old) || !nrow(old)) return(invisible())
    take <- rownames(old)
    if (isTRUE(ask) && interactive()) {
      keep <- logical(length(take))
      for (i in seq_along(take)) {
        ans <- readline(sprintf("%s:\n Version %s installed in %s\n Version %s available at %s\nUpdate? (Yes/no/cancel) ",
                                take[i], old[i, "Installed"], st$root, old[i, "ReposVer"], old[i, "Repository"]))
        ans <- tolower(substr(trimws(ans), 1L, 1L))
        if (ans == "c") return(invisible())
        keep[i] <- ans %in% c("", "y")
      }
      take <- take[keep]
    }
    if (length(take)) install_names(take, repos_arg(repos, given), NA, FALSE)
    invisible()
  }

  STD_FIELDS <- c("Package", "Version", "Priority", "Depends", "Imports", "LinkingTo", "Suggests",
                  "Enhances", "License", "License_is_FOSS", "License_restricts_use", "OS_type",
                  "Archs", "MD5sum", "NeedsCompilation", "File", "Repository")
  available_packages <- function(contriburl = NULL, method, fields = getOption("available_packages_fields"),
                                 type = getOption("pkgType"), filters = NULL, repos = getOption("repos"),
                                 ignore_repo_cache = FALSE, max_repo_cache_age, quiet = TRUE, ...) {
    api("available", repos = repos_arg(repos, !missing(repos)))
    av <- rows("packages")
    cols <- unique(c(STD_FIELDS, fields))
    m <- matrix(NA_character_, nrow = nrow(av), ncol = length(cols), dimnames = list(av$package, cols))
    for (col in intersect(cols, names(av))) m[, col] <- av[[col]]
    if (nrow(av)) {
      m[, "Package"] <- av$package
      m[, "Version"] <- av$version
      m[, "Repository"] <- av$source
    }
    m
  }

  webr_install <- function(packages, repos = NULL, lib = NULL, mount = TRUE, quiet = FALSE) {
    install_names(packages, repos_arg(repos, !is.null(repos)), NA, quiet)
    invisible()
  }

  # ---------------------------------------------------------------- bindings
  replace_in <- function(env, name, value) {
    if (!exists(name, envir = env, inherits = FALSE)) return(FALSE)
    tryCatch({
      locked <- bindingIsLocked(name, env)
      if (locked) unlockBinding(name, env)
      assign(name, value, envir = env)
      if (locked) lockBinding(name, env)
      TRUE
    }, error = function(e) FALSE)
  }
  verbs <- list(install.packages = install_packages, remove.packages = remove_packages,
                update.packages = update_packages, old.packages = old_packages,
                available.packages = available_packages)
  for (name in names(verbs)) {
    replace_in(asNamespace("utils"), name, verbs[[name]])
    if ("package:utils" %in% search()) replace_in(as.environment("package:utils"), name, verbs[[name]])
  }
  replace_in(asNamespace("webr"), "install", webr_install)
  if ("package:webr" %in% search()) replace_in(as.environment("package:webr"), "install", webr_install)
  invisible(NULL)
})
invisible(NULL)
