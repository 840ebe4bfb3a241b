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
  # plots: NULL, or list(fmt, ext, width_in, height_in, dpi) for `run --plots`. The plot
  # files are written here, as R ends: after an error R can no longer serve the app's evals,
  # but its worker still serves file reads while __wdScript.exit() waits.
  tools$.wd.script_begin <- function(patch, plots = NULL) {
    webr::eval_js(patch)
    # As Rscript: no error handler, so R halts at the first error ("Execution halted",
    # status 1). The GUI's handler (packages_missing.R: an install offer) is not for scripts.
    options(error = NULL)
    if (!is.null(plots)) {
      .wd.plots$keep <- .Machine$integer.max
    } else {
      # No plots wanted: R's own default device, as Rscript (Rplots.pdf in the working
      # directory), not webR's canvas (slow, and its memory is never freed: issue 19 item 10).
      options(device = grDevices::pdf)
    }
    tools$.wd.script <- TRUE
    reg.finalizer(tools, function(e) {
      status <- get0(".wd.quit_status", envir = tools, inherits = FALSE, ifnotfound = -1L)
      files <- character()
      if (!is.null(plots)) {
        ids <- .wd.plot_ids()
        for (i in seq_along(ids)) {
          path <- sprintf("/tmp/.webr-desktop-plot-%d.%s", i, plots$ext)
          ok <- tryCatch({
            .wd.plot_export(ids[[i]], path, plots$fmt, plots$width_in, plots$height_in, plots$dpi)
            TRUE
          }, error = function(err) {
            cat("webr-desktop: plot ", i, " could not be exported: ", conditionMessage(err), "\n",
                sep = "", file = stderr())
            FALSE
          })
          files <- c(files, if (ok) path else "")
        }
      }
      webr::eval_js(sprintf("globalThis.__wdScript.exit(true, %d, %s)", as.integer(status),
                            jsonlite_free_array(files)))
    }, onexit = TRUE)
    invisible(NULL)
  }
})
invisible(NULL)
