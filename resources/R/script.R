# `webr-desktop run`: R reads the script from standard input, non-interactive, as Rscript does
# (resources/worker/script_stdin.js). The runner evaluates .wd.script_begin() before the
# first line; R's exit finalizer then tells the runner how R ended. R's own REPL does the
# rest: top-level context, autoprint (show() for S4), .Last.value, deferred warnings, task
# callbacks, and "Execution halted" with status 1 at the first error.
local({
  tools <- as.environment("tools:webr_desktop")
  tools$.wd.script_begin <- function(patch, keep_plots = FALSE) {
    webr::eval_js(patch)
    if (keep_plots) .wd.plots$keep <- .Machine$integer.max
    tools$.wd.script <- TRUE
    reg.finalizer(tools, function(e) {
      status <- get0(".wd.quit_status", envir = tools, inherits = FALSE, ifnotfound = -1L)
      webr::eval_js(sprintf("globalThis.__wdScript.exit(true, %d)", as.integer(status)))
    }, onexit = TRUE)
    invisible(NULL)
  }
})
invisible(NULL)
