# `webr-desktop run`: R reads the script from standard input, non-interactive, as Rscript does
# (resources/worker/script_stdin.js). The runner evaluates .wd.script_begin() before the
# first line; R's exit finalizer then tells the runner how R ended. R's own REPL does the
# rest: top-level context, autoprint (show() for S4), .Last.value, deferred warnings, task
# callbacks, and "Execution halted" with status 1 at the first error.
local({
  tools <- as.environment("tools:webr_desktop")
  # A JSON array of app-made paths (no quotes or backslashes in them).
  jsonlite_free_array <- function(x) {
    if (!length(x)) "[]" else paste0("[", paste0('"', x, '"', collapse = ","), "]")
  }
  # plots: NULL, or list(fmt, ext, width_in, height_in, dpi) for `run --plots`. Plots are drawn
  # straight onto R's own file device of that format (webR's canvas device is 8x slower and its
  # memory is never freed: issue 19 item 10): each opening of the default device writes its
  # pages to /tmp/.webr-desktop-plot-<device>-<page>.<ext>. R's exit finalizer closes the
  # devices (the last pages are written then, also after an error) and tells the runner the
  # files in order; the runner copies them out while __wdScript.exit() waits.
  tools$.wd.script_begin <- function(patch, plots = NULL) {
    webr::eval_js(patch)
    # As Rscript: no error handler, so R halts at the first error ("Execution halted",
    # status 1). The GUI's handler (packages_missing.R: an install offer) is not for scripts.
    options(error = NULL)
    opened <- 0L # default devices opened so far
    pattern <- function(k) sprintf("/tmp/.webr-desktop-plot-%03d-%%03d.%s", k, plots$ext)
    if (!is.null(plots)) {
      open <- switch(plots$fmt,
        png = , jpeg = , tiff = function(f, w, h) {
          dev <- getExportedValue("grDevices", plots$fmt)
          args <- list(f, width = round(w * plots$dpi), height = round(h * plots$dpi), res = plots$dpi)
          if (plots$fmt == "jpeg") args$quality <- 95
          if (plots$fmt == "tiff") args$compression <- "lzw"
          do.call(dev, args)
        },
        svg = function(f, w, h) grDevices::svg(f, width = w, height = h, onefile = FALSE),
        pdf = function(f, w, h) grDevices::cairo_pdf(f, width = w, height = h, onefile = FALSE),
        stop(sprintf("unknown plot format '%s'", plots$fmt), call. = FALSE)
      )
      # dev.new(width =, height =) in inches, as R's own default devices take them.
      options(device = function(width = plots$width_in, height = plots$height_in, ...) {
        opened <<- opened + 1L
        open(pattern(opened), width, height)
        invisible(NULL)
      })
    } else {
      # No plots wanted: R's own default device, as Rscript (Rplots.pdf in the working
      # directory), not webR's canvas.
      options(device = grDevices::pdf)
    }
    tools$.wd.script <- TRUE
    reg.finalizer(tools, function(e) {
      status <- get0(".wd.quit_status", envir = tools, inherits = FALSE, ifnotfound = -1L)
      files <- character()
      if (!is.null(plots)) {
        grDevices::graphics.off() # writes every open device's last page
        for (k in seq_len(opened)) {
          f <- list.files("/tmp", sprintf("^\\.webr-desktop-plot-%03d-[0-9]+\\.%s$", k, plots$ext),
                          all.files = TRUE, full.names = TRUE)
          page <- as.integer(sub(".*-([0-9]+)\\.[^.]+$", "\\1", f))
          files <- c(files, f[order(page)])
        }
      }
      webr::eval_js(sprintf("globalThis.__wdScript.exit(true, %d, %s)", as.integer(status),
                            jsonlite_free_array(files)))
    }, onexit = TRUE)
    invisible(NULL)
  }
})
invisible(NULL)
