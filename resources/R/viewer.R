# webR Desktop's Viewer: getOption("viewer")(url) and browseURL() of a local page show it in
# the Viewer pane; browseURL() of a web address opens the system browser.
# R only announces a page by id; the app asks for the page's folder as one archive
# (.wd.viewer_bundle) and serves it from its own origin, so no R text is quoted into JS.
local({
  tools <- as.environment("tools:webr_desktop")
  pages <- new.env()
  pages$n <- 0L

  announce <- function(kind, value) {
    pages$n <- pages$n + 1L
    assign(as.character(pages$n), list(kind = kind, value = value), envir = pages)
    tools$.wd.post("wd-viewer", pages$n)
    invisible(NULL)
  }

  local_page <- function(url) {
    path <- sub("^file://", "", url)
    if (grepl("^https?://(localhost|127\\.0\\.0\\.1)(:[0-9]+)?/", url)) {
      stop("the Viewer shows pages R writes to files; a server R runs itself can't be shown yet", call. = FALSE)
    }
    if (!file.exists(path) || dir.exists(path)) stop("no such page: ", url, call. = FALSE)
    normalizePath(path, mustWork = TRUE)
  }

  # The viewer option, as RStudio's: url is a page in R's file system (htmlwidgets write
  # one to a folder of its own under tempdir() with its lib/ dependencies beside it).
  tools$.wd.viewer <- function(url, height = NULL) {
    if (!is.character(url) || length(url) != 1L || is.na(url)) stop("'url' must be a file path or URL")
    if (grepl("^https?://", url) && !grepl("^https?://(localhost|127\\.0\\.0\\.1)", url)) {
      return(announce("web", url))
    }
    announce("page", local_page(url))
  }

  tools$.wd.browse_url <- function(url, ...) {
    url <- as.character(url)[1L]
    if (grepl("^(https?|mailto):", url)) return(announce("web", url))
    tools$.wd.viewer(url)
  }

  # What announcement `id` was: list(kind = "page"|"web", value = path or URL, entry = the
  # page's file name inside its folder).
  tools$.wd.viewer_info <- function(id) {
    item <- get(as.character(id), envir = pages)
    if (item$kind == "page") item$entry <- basename(item$value)
    item
  }

  # The folder of page `id` (the page and every file beside it) as a .tar.gz, for the app.
  tools$.wd.viewer_bundle <- function(id) {
    item <- get(as.character(id), envir = pages)
    folder <- dirname(item$value)
    if (normalizePath(folder) == normalizePath(tempdir())) {
      # A page written straight into tempdir(): take the page and the folders it may use,
      # not every temporary file of the session.
      files <- c(basename(item$value), list.dirs(folder, full.names = FALSE, recursive = FALSE))
    } else {
      files <- list.files(folder, all.files = TRUE, no.. = TRUE)
    }
    out <- tempfile(fileext = ".tar.gz")
    old <- setwd(folder)
    on.exit(setwd(old))
    utils::tar(out, files = files, compression = "gzip", tar = "internal")
    out
  }

  options(viewer = tools$.wd.viewer, browser = tools$.wd.browse_url)
})
invisible(NULL)
