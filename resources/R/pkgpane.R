# webR Desktop's Packages pane: what R has installed, loaded and attached, and the
# checkbox's attach/detach. Runs after tools.R. The pane's own installs happen on the host
# (webr_desktop.core.packages); R is asked only what R alone knows.
local({
  tools <- as.environment("tools:webr_desktop")

  # Every package R sees (all of .libPaths()), with what R has loaded and attached. noCache:
  # a package installed a moment ago (console or pane) must show at once.
  # skip_user: the pane reads the user library on the host, so R needn't open its files.
  # skip_system: the app already knows webR's system library (.Library) for this webR and R;
  # reading it opens every package's files, and webR downloads and unpacks the packages it
  # mounts lazily (translations, parallel, tcltk: ~3.5 MB) for that, ~0.3-1 s of each R start.
  tools$.wd.pkg_state <- function(skip_user = FALSE, skip_system = FALSE) {
    fields <- c("Title", "Repository", "WebRDesktopSource")
    user <- path.expand(Sys.getenv("R_LIBS_USER"))
    libs <- .libPaths()
    if (skip_user) libs <- libs[normalizePath(libs, mustWork = FALSE) != normalizePath(user, mustWork = FALSE)]
    if (skip_system) libs <- libs[normalizePath(libs, mustWork = FALSE) != normalizePath(.Library, mustWork = FALSE)]
    ip <- utils::installed.packages(lib.loc = libs, fields = fields, noCache = TRUE)
    col <- function(name) if (name %in% colnames(ip)) unname(ip[, name]) else rep(NA_character_, nrow(ip))
    list(
      lib = col("LibPath"), name = col("Package"), version = col("Version"), title = col("Title"),
      repository = col("Repository"), source = col("WebRDesktopSource"), priority = col("Priority"),
      loaded = loadedNamespaces(),
      attached = sub("^package:", "", grep("^package:", search(), value = TRUE)),
      system = .Library,
      user = user
    )
  }

  # Run one attach/detach and collect what R said (errors, warnings, messages) for the pane,
  # instead of letting it vanish: the user must learn why a detach didn't happen.
  said <- function(expr) {
    notes <- character()
    ok <- withCallingHandlers(
      tryCatch({ expr; TRUE }, error = function(e) { notes <<- c(notes, conditionMessage(e)); FALSE }),
      warning = function(w) { notes <<- c(notes, conditionMessage(w)); invokeRestart("muffleWarning") },
      message = function(m) { notes <<- c(notes, sub("\n$", "", conditionMessage(m))); invokeRestart("muffleMessage") }
    )
    list(ok = ok, message = paste(notes, collapse = "\n"))
  }

  tools$.wd.pkg_attach <- function(pkg) {
    said(library(pkg, character.only = TRUE))
  }

  # Detach and unload, as RStudio's checkbox does; R refuses base, and keeps a namespace
  # another loaded package imports (it says so in a warning, which the pane shows).
  tools$.wd.pkg_detach <- function(pkg) {
    said(detach(paste0("package:", pkg), character.only = TRUE, unload = TRUE))
  }
})
