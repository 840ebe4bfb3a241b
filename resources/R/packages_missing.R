# webR Desktop: library(foo) for a package that isn't installed but that a configured source
# has: after R's own error, say where it is and offer to install it (the app shows an Install
# button; nothing installs unless the user asks). Only errors that reach the top level count
# (options(error)), so requireNamespace(quietly = TRUE) inside packages stays silent.
# Runs after packages.R.
local({
  tools <- as.environment("tools:webr_desktop")
  st <- tools$.wd.pkg
  PATTERN <- "there is no package called [\u2018'\"]([A-Za-z][A-Za-z0-9.]*)[\u2019'\"]"

  tools$.wd.pkg_missing <- function(msg = geterrmessage()) {
    m <- regmatches(msg, regexec(PATTERN, msg))[[1L]]
    if (length(m) < 2L || !isTRUE(st$ready)) return(invisible(FALSE))
    name <- m[2L]
    # Installed meanwhile by another program (webr-desktop packages install in a terminal)?
    try(tools$.wd.pkg_sync(NULL), silent = TRUE) # the whole library: its dependencies may be new too
    if (dir.exists(file.path(st$root, name))) {
      message(sprintf("Package %s was installed meanwhile; run library(%s) again.", sQuote(name, FALSE), name))
      return(invisible(TRUE))
    }
    found <- tryCatch({
      tools$.wd.pkg_api("available", query = name, limit = 50L)
      tools$.wd.pkg_rows("packages")
    }, error = function(e) NULL)
    hit <- if (is.null(found) || !nrow(found)) found else found[found$package == name, , drop = FALSE]
    if (is.null(hit) || !nrow(hit)) return(invisible(FALSE))
    message(sprintf("Package %s %s is available from %s: install it with install.packages(\"%s\")",
                    sQuote(name, FALSE), hit$version[1L], hit$source[1L], name))
    tools$.wd.pkg_offer("missing", name, hit$source[1L])
    invisible(TRUE)
  }

  options(error = function() try(tools$.wd.pkg_missing(), silent = TRUE))
  invisible(NULL)
})
invisible(NULL)
