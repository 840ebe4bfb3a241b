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

  # A plain ustar archive of `files` (paths relative to `folder`, regular files only).
  # utils::tar() takes seconds for a 2 MB widget in webR (per-file overhead); this writes
  # each header and file with two writeBin() calls.
  write_tar <- function(folder, files, out) {
    con <- file(out, "wb")
    on.exit(close(con))
    field <- function(text, width) {
      bytes <- charToRaw(enc2utf8(text))
      if (length(bytes) > width) stop("name too long for the page archive: ", text, call. = FALSE)
      c(bytes, raw(width - length(bytes)))
    }
    octal <- function(n, width) {
      digits <- sprintf("%o", as.integer(n))
      field(paste0(strrep("0", width - 1L - nchar(digits)), digits), width)
    }
    for (f in files) {
      path <- file.path(folder, f)
      size <- file.size(path)
      name <- if (nchar(f, "bytes") > 100L) basename(f) else f
      prefix <- if (nchar(f, "bytes") > 100L) dirname(f) else ""
      header <- c(field(name, 100L), octal(420L, 8L), octal(0L, 8L), octal(0L, 8L), octal(size, 12L),
                  octal(0L, 12L), charToRaw("        "), charToRaw("0"), raw(100L),
                  charToRaw("ustar"), as.raw(0L), charToRaw("00"), raw(80L), field(prefix, 155L), raw(12L))
      sum <- sum(as.integer(header))
      header[149:156] <- c(octal(sum, 7L), as.raw(32L))
      writeBin(header, con)
      if (size > 0) writeBin(readBin(path, "raw", size), con)
      pad <- (512L - size %% 512L) %% 512L
      if (pad > 0) writeBin(raw(pad), con)
    }
    writeBin(raw(1024L), con)
  }

  # The folder of page `id` (the page and every file beside it) as a tar archive, for the app.
  tools$.wd.viewer_bundle <- function(id) {
    item <- get(as.character(id), envir = pages)
    folder <- dirname(item$value)
    if (normalizePath(folder) == normalizePath(tempdir())) {
      # A page written straight into tempdir(): take the page and the folders beside it,
      # not every temporary file of the session.
      top <- c(basename(item$value), list.dirs(folder, full.names = FALSE, recursive = FALSE))
      files <- unlist(lapply(top, function(t) {
        if (dir.exists(file.path(folder, t))) file.path(t, list.files(file.path(folder, t), recursive = TRUE, all.files = TRUE))
        else t
      }))
    } else {
      files <- list.files(folder, recursive = TRUE, all.files = TRUE)
    }
    out <- tempfile(fileext = ".tar")
    write_tar(folder, files, out)
    out
  }

  options(viewer = tools$.wd.viewer, browser = tools$.wd.browse_url)

  # webR can't run R's dynamic help server, and R's print methods for vignette() and
  # browseVignettes() ask it first ("cannot listen to TCP port"). Told it is disabled, they
  # fall back to the files themselves, which browseURL() shows in the Viewer.
  without_httpd <- function(method) {
    force(method)
    function(x, ...) {
      old <- Sys.getenv("R_DISABLE_HTTPD", unset = NA)
      Sys.setenv(R_DISABLE_HTTPD = "1")
      on.exit(if (is.na(old)) Sys.unsetenv("R_DISABLE_HTTPD") else Sys.setenv(R_DISABLE_HTTPD = old))
      withCallingHandlers(method(x, ...), warning = function(w) {
        if (grepl("R_DISABLE_HTTPD", conditionMessage(w), fixed = TRUE)) invokeRestart("muffleWarning")
      })
    }
  }
  utils_ns <- asNamespace("utils")
  for (cls in c("vignette", "browseVignettes")) {
    method <- get(paste0("print.", cls), envir = utils_ns)
    registerS3method("print", cls, without_httpd(method), envir = utils_ns)
  }
})
invisible(NULL)
