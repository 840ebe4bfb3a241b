# webR Desktop's R tools, attached as "tools:webr_desktop" at every R start.
# Internal helpers are named .wd.*; user-facing tools (added by later features) are plain names.
local({
  tools <- new.env()

  # webR 0.6.0's own quit() leaves R hung without a prompt ("system call failed"), so the
  # app ends the R session itself: .Last() runs as in R, then the page reports webR's own
  # `closed` message with the exit status (the next input starts a fresh R; `run` exits
  # with this status). There is no workspace image to save in webR, so `save` is ignored.
  base_quit <- base::quit
  tools$quit <- function(save = "default", status = 0, runLast = TRUE) {
    attached <- as.environment("tools:webr_desktop")
    if (isTRUE(attached$.wd.script)) {
      # `webr-desktop run`: R ends as Rscript's does; the exit finalizer reports the status.
      status <- as.integer(status)
      attached$.wd.quit_status <- if (length(status) == 1L && !is.na(status)) status else 0L
      return(base_quit("no", status, runLast))
    }
    if (isTRUE(runLast) && exists(".Last", envir = globalenv(), mode = "function", inherits = FALSE)) {
      try(get(".Last", envir = globalenv())())
    }
    status <- as.integer(status)
    if (length(status) != 1L || is.na(status)) status <- 0L
    webr::eval_js(sprintf("postMessage({type: 'closed', data: {status: %d}}); 0", status))
    invisible(NULL)
  }
  tools$q <- tools$quit

  # Tell the app something happened (a help page, a data viewer): the message carries only
  # an integer id, and the app asks R for the content by id, so no R text is ever quoted
  # into JavaScript.
  tools$.wd.post <- function(type, id) {
    stopifnot(grepl("^wd-[a-z]+$", type))
    webr::eval_js(sprintf("postMessage({type: '%s', data: {id: %d}}); 0", type, as.integer(id)))
    invisible(NULL)
  }

  if ("tools:webr_desktop" %in% search()) detach("tools:webr_desktop")
  attach(tools, name = "tools:webr_desktop", warn.conflicts = FALSE)
})
invisible(NULL)
