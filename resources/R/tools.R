# webR Desktop's R tools, attached as "tools:webr_desktop" at every R start.
# Internal helpers are named .wd.*; user-facing tools (added by later features) are plain names.
local({
  tools <- new.env()

  # Format an error the way R's top level (and try()) does, hiding our own eval frame.
  tools$.wd.format_error <- function(e, hide_call) {
    call <- conditionCall(e)
    msg <- conditionMessage(e)
    if (is.null(call) || identical(call, hide_call)) {
      return(paste0("Error: ", msg, "\n"))
    }
    dcall <- deparse(call, nlines = 1L)
    prefix <- paste("Error in", dcall, ": ")
    first <- strsplit(msg, "\n", fixed = TRUE)[[1L]][1L]
    w <- 14L + nchar(dcall, type = "w") + nchar(if (is.na(first)) "" else first, type = "w")
    if (!is.na(w) && w > 77L) prefix <- paste0(prefix, "\n  ")
    paste0(prefix, msg, "\n")
  }

  # Print collected warnings as R does after a top-level call (to stderr, like Rscript).
  tools$.wd.print_warnings <- function(ws, hide_call) {
    if (!length(ws)) return(invisible())
    calls <- lapply(ws, function(w) {
      call <- conditionCall(w)
      if (identical(call, hide_call)) NULL else call
    })
    msgs <- vapply(ws, conditionMessage, "")
    w <- structure(calls, names = msgs, class = "warnings")
    writeLines(utils::capture.output(print(w)), con = stderr())
    invisible()
  }

  # Run R source text like Rscript: each top-level expression is evaluated in the global
  # environment and auto-printed; warnings follow their expression; the first error stops
  # the run. Returns 0L on success and 1L on an error (also stored in .wd.status).
  tools$.wd.run_text <- function(text, filename = "<text>") {
    tools <- as.environment("tools:webr_desktop")
    tools$.wd.status <- 1L
    lines <- strsplit(text, "\n", fixed = TRUE)[[1L]]
    exprs <- tryCatch(
      parse(text = lines, keep.source = FALSE, srcfile = srcfilecopy(filename, lines)),
      error = function(e) e
    )
    if (inherits(exprs, "error")) {
      cat("Error: ", conditionMessage(exprs), "\n", sep = "", file = stderr())
      return(invisible(1L))
    }
    hide_call <- quote(eval(expr, envir = globalenv()))
    for (expr in exprs) {
      ws <- list()
      collect <- getOption("warn", 0L) == 0L
      failed <- tryCatch(
        withCallingHandlers(
          {
            res <- withVisible(eval(expr, envir = globalenv()))
            if (res$visible) print(res$value)
            FALSE
          },
          warning = function(w) {
            if (collect) {
              ws[[length(ws) + 1L]] <<- w
              invokeRestart("muffleWarning")
            }
          }
        ),
        error = function(e) {
          cat(tools$.wd.format_error(e, hide_call), file = stderr())
          TRUE
        }
      )
      tools$.wd.print_warnings(ws, hide_call)
      if (failed) return(invisible(1L))
    }
    tools$.wd.status <- 0L
    invisible(0L)
  }

  # webR 0.6.0's own quit() leaves R hung without a prompt ("system call failed"), so the
  # app ends the R session itself: .Last() runs as in R, then the page reports webR's own
  # `closed` message with the exit status (the next input starts a fresh R; `run` exits
  # with this status). There is no workspace image to save in webR, so `save` is ignored.
  tools$quit <- function(save = "default", status = 0, runLast = TRUE) {
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

  tools$.wd.status <- 0L
  if ("tools:webr_desktop" %in% search()) detach("tools:webr_desktop")
  attach(tools, name = "tools:webr_desktop", warn.conflicts = FALSE)
})
invisible(NULL)
