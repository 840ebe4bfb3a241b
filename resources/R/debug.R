# webR Desktop's debugger: where R's browser stands, in one call per Browse[n]> prompt.
#
# The app's evals (webR's evalR) run while R waits in ReadConsole at the browser prompt, so
# sys.calls() inside them lists the browsed code's frames *and* the eval's own: webR's
# evaluator closure (formals expr, conditions, streams, autoprint, ...), withCallingHandlers,
# tryCatch (4 frames), efun, eval, eval — 9 frames measured in webR 0.6.0, then ours. The
# evaluator's frame is found by its formals, and everything from it on is dropped. Its call
# carries the srcref R_Srcref had when it began: the statement the browser stopped at.
# Frame k's own position is the srcref of call k + 1 (R stores the caller's srcref in each
# context), so the stack's lines come from sys.calls() alone.
#
# A breakpoint placed by trace()/setBreakpoint() browses through .doTrace(browser()) ->
# eval.parent() -> eval(): those trailing frames are trace's machinery and are dropped too.
local({
  tools <- as.environment("tools:webr_desktop")
  st <- new.env(parent = emptyenv())
  st$error_depth <- NULL # frames of the code that raised an error, while break-on-error browses
  st$frames <- list()    # the browsed frames' environments, as of the last .wd.debug_state()
  tools$.wd.debug_st <- st

  EVAL_FORMALS <- c("expr", "conditions", "streams", "autoprint")
  # Trailing frames that are machinery, not the browsed code: trace()'s and the breakpoints'
  # .doTrace -> eval.parent -> eval, and source()'s own frames when a breakpoint stops at a
  # top-level line of a file being sourced (then R browses the global environment).
  TRACE_FUNS <- c(".doTrace", "eval.parent", "eval", "evalq", "browser", "withVisible", "source", "sys.source")
  ERROR_FUNS <- c("stop", ".handleSimpleError", "h", "signalCondition", "stopifnot", "abort",
                  "rlang::abort", "cli_abort", ".signalSimpleWarning", "warning")

  fun_name <- function(call) {
    f <- call[[1L]]
    if (is.symbol(f)) return(as.character(f))
    if (is.call(f) && length(f) == 3L && as.character(f[[1L]]) %in% c("::", ":::")) {
      return(paste0(as.character(f[[2L]]), as.character(f[[1L]]), as.character(f[[3L]])))
    }
    ""
  }

  # How many frames belong to the code R is browsing, seen from frame `own`.
  user_depth <- function(own, calls) {
    for (i in rev(seq_len(own - 1L))) {
      fn <- sys.function(i)
      fm <- names(formals(fn))
      if (length(fm) >= 4L && identical(fm[1:4], EVAL_FORMALS)) return(i - 1L)
    }
    own - 1L
  }

  # The absolute path of a srcfile's file if it exists, else "". Cached for one debugging
  # session (.wd.debug_state(fresh = TRUE) empties it): in a host folder every file.exists()
  # and normalizePath() is a request to the app's server, a few ms each.
  st$paths <- new.env(parent = emptyenv())
  file_of <- function(sf) {
    file <- if (is.environment(sf)) as.character(sf$filename) else ""
    if (length(file) != 1L || is.na(file) || !nzchar(file)) return("")
    if (!startsWith(file, "/") && length(sf$wd) == 1L) file <- file.path(sf$wd, file)
    known <- st$paths[[file]]
    if (!is.null(known)) return(known)
    path <- if (file.exists(file)) normalizePath(file, mustWork = FALSE) else ""
    assign(file, path, envir = st$paths)
    path
  }

  # Absolute file name ("" if none) and 1-based lines of a srcref.
  where <- function(sr) {
    if (is.null(sr)) return(list(file = "", line = NA_integer_, last = NA_integer_))
    list(file = file_of(attr(sr, "srcfile")), line = sr[[1L]], last = sr[[3L]])
  }

  # The function of frame i as text, and the offset of its first line in its srcfile (for
  # code without a file: the editor shows this text in a read-only tab).
  fun_text <- function(fn) {
    sr <- attr(fn, "srcref")
    if (!is.null(sr)) return(list(text = paste(as.character(sr, useSource = TRUE), collapse = "\n"),
                                  first = sr[[1L]]))
    list(text = paste(deparse(fn, width.cutoff = 80L), collapse = "\n"), first = NA_integer_)
  }

  # trace()/setBreakpoint() replace step `at` of a body with { .doTrace(...); step } and
  # drop the body's srcrefs: find the step that holds the .doTrace call R is in, and take
  # its srcref from the original function.
  find_trace <- function(expr, target, path = integer()) {
    if (identical(expr[[1L]], as.name("{")) && length(expr) >= 2L && identical(expr[[2L]], target)) return(path)
    parts <- as.list(expr)
    for (i in seq_along(parts)[-1L]) { # into every call: a for/if/while body holds steps too
      if (!tryCatch(is.call(parts[[i]]), error = function(e) FALSE)) next # an empty argument
      found <- find_trace(parts[[i]], target, c(path, i))
      if (!is.null(found)) return(found)
    }
    NULL
  }
  traced_srcref <- function(fn, trace_call) {
    orig <- tryCatch(fn@original, error = function(e) NULL)
    path <- if (is.call(body(fn))) find_trace(body(fn), trace_call)
    if (is.null(orig) || length(path) == 0L) return(NULL)
    block <- body(orig)
    for (i in path[-length(path)]) block <- block[[i]]
    srcrefs <- attr(block, "srcref")
    if (length(srcrefs) < path[[length(path)]]) return(NULL)
    srcrefs[[path[[length(path)]]]]
  }

  # One JSON-able record per browsed frame, outermost first. `calls`: sys.calls() up to and
  # including the call after frame n (its srcref is frame n's current statement).
  describe_frames <- function(calls, n, fallback) {
    out <- vector("list", n)
    for (k in seq_len(n)) {
      call <- calls[[k]]
      sr <- attr(calls[[k + 1L]], "srcref")
      fn <- sys.function(k)
      if (inherits(fn, "functionWithTrace")) {
        if (is.null(sr)) sr <- traced_srcref(fn, calls[[k + 1L]])
        fn <- fn@original
      }
      if (is.null(sr) && k == n) sr <- fallback
      loc <- where(sr)
      rec <- list(call = paste(deparse(call, width.cutoff = 80L, nlines = 1L), collapse = ""),
                  name = fun_name(call), file = loc$file, line = loc$line, last = loc$last,
                  text = "", first = NA_integer_)
      if (!nzchar(loc$file)) {
        ft <- fun_text(fn)
        rec$text <- ft$text
        rec$first <- ft$first
        rec$file <- ""
      }
      out[[k]] <- rec
    }
    out
  }

  # The top-level statement source() is evaluating (its own variables `srcrefs` and `i`, in
  # the innermost source() frame): where a stop before a top-level line of a sourced file is,
  # when nothing R is evaluating carries a srcref.
  sourcing_srcref <- function(u) {
    for (k in rev(seq_len(u))) {
      # base::source()'s frame (its body names exprs, srcrefs and Ne); read only those locals
      if (!identical(names(formals(sys.function(k)))[c(1L, 5L)], c("file", "exprs"))) next
      env <- sys.frame(k)
      srcrefs <- get0("srcrefs", envir = env, inherits = FALSE)
      i <- get0("i", envir = env, inherits = FALSE)
      if (is.list(srcrefs) && is.numeric(i) && length(i) == 1L && !is.na(i) && i >= 1L && i <= length(srcrefs)) {
        return(srcrefs[[i]])
      }
    }
    NULL
  }

  # Where the browser stands: the stack (outermost first), the browsed frame's index in it
  # (0: the global environment, as for browser() in a top-level loop), and the selected
  # frame's variables. `frame`: the frame to show variables of (NA: the browsed one).
  tools$.wd.debug_state <- function(frame = NA_integer_, fresh = FALSE) {
    if (isTRUE(fresh)) st$paths <- new.env(parent = emptyenv())
    own <- sys.nframe()
    calls <- sys.calls()
    u <- user_depth(own, calls)
    n <- u
    if (!is.null(st$error_depth)) {
      n <- min(n, st$error_depth)
    } else {
      names <- vapply(calls[seq_len(n)], fun_name, "")
      while (n > 0L && names[[n]] %in% TRACE_FUNS) n <- n - 1L
    }
    frames <- describe_frames(calls, n, attr(calls[[u + 1L]], "srcref"))
    st$frames <- lapply(seq_len(n), sys.frame)
    st$funs <- lapply(seq_len(n), sys.function)
    sel <- if (is.na(frame)) n else max(0L, min(as.integer(frame), n))
    env <- if (sel == 0L) globalenv() else st$frames[[sel]]
    top <- NULL
    if (n == 0L) { # browser() in top-level code (a loop typed at the console, a sourced file)
      sr <- attr(calls[[u + 1L]], "srcref")
      if (is.null(sr)) sr <- sourcing_srcref(u)
      top <- c(where(sr), list(text = "", first = NA_integer_))
      sf <- attr(sr, "srcfile")
      if (!is.null(sr) && !nzchar(top$file) && is.environment(sf)) {
        lines <- tryCatch(getSrcLines(sf, 1L, 1e6L), error = function(e) character())
        top$text <- paste(lines, collapse = "\n")
        top$first <- 1L
        top$file <- ""
      }
    }
    list(depth = n, top = top, selected = sel, frames = frames, vars = if (sel == 0L) NULL else tools$.wd.env_summary(env))
  }

  # Variables of frame k of the last state (the Debug pane's selection), without walking the stack.
  tools$.wd.debug_vars <- function(k) {
    k <- as.integer(k)
    if (k < 1L || k > length(st$frames)) return(NULL)
    tools$.wd.env_summary(st$frames[[k]])
  }

  # The text of frame k's function, for a file the app would not open (outside its folders).
  tools$.wd.debug_text <- function(k) {
    k <- as.integer(k)
    if (k < 1L || k > length(st$funs)) return(NULL)
    fn <- st$funs[[k]]
    if (inherits(fn, "functionWithTrace")) fn <- fn@original
    fun_text(fn)
  }

  # The environment of frame k (View() of a local variable in the selected frame).
  tools$.wd.debug_env <- function(k) {
    k <- as.integer(k)
    if (k < 1L || k > length(st$frames)) globalenv() else st$frames[[k]]
  }

  # Break on error: an uncaught error opens the browser in the frame that raised it (not in
  # recover()'s menu). Set as options(error = quote(.wd.break_on_error())); errors typed at
  # a browser prompt and errors at top level (no frame to show) just stop, as without it.
  tools$.wd.break_on_error <- function() {
    if (!interactive() || !is.null(st$error_depth)) return(invisible())
    in_browser <- tryCatch({ browserText(); TRUE }, error = function(e) FALSE)
    if (in_browser) return(invisible())
    calls <- sys.calls()
    own <- length(calls)
    n <- own - 1L # without this frame
    names <- vapply(calls[seq_len(n)], fun_name, "")
    while (n > 0L && names[[n]] %in% ERROR_FUNS) n <- n - 1L
    if (n < 1L) return(invisible())
    st$error_depth <- n
    on.exit(st$error_depth <- NULL)
    msg <- sub("\n$", "", geterrmessage())
    # The last call: nothing of this function is left to step through after the browser.
    # skipCalls: "Called from:" names frame n, past eval()'s two contexts, this and stop()'s.
    eval(substitute(browser(text = MSG, skipCalls = SKIP), list(MSG = msg, SKIP = own - n + 2L)), envir = sys.frame(n))
  }

  # traceback() as R prints it, with each "at file#line" a link the console opens in the editor.
  tools$traceback <- function(x = NULL, max.lines = getOption("traceback.max.lines",
                                                              getOption("deparse.max.lines", -1L))) {
    n <- length(x <- .traceback(x, max.lines = max.lines))
    st$paths <- new.env(parent = emptyenv()) # files may have come or gone since
    if (n == 0L) {
      cat(gettext("No traceback available"), "\n")
      return(invisible(x))
    }
    for (i in 1L:n) {
      xi <- x[[i]]
      label <- paste0(n - i + 1L, ": ")
      m <- length(xi)
      srcloc <- if (!is.null(srcref <- attr(xi, "srcref"))) {
        srcfile <- attr(srcref, "srcfile")
        text <- paste0("at ", basename(srcfile$filename), "#", srcref[1L])
        loc <- where(srcref)
        if (nzchar(loc$file)) {
          text <- paste0("\033]8;;file://", utils::URLencode(loc$file), "#", srcref[1L], "\a", text, "\033]8;;\a")
        }
        text
      }
      if (isTRUE(attr(xi, "truncated"))) {
        xi <- c(xi, " ...")
        m <- length(xi)
      }
      if (!is.null(srcloc)) xi[m] <- paste(xi[m], srcloc)
      if (m > 1) label <- c(label, rep(substr("          ", 1L, nchar(label, type = "w")), m - 1L))
      cat(paste0(label, xi), sep = "\n")
    }
    invisible(x)
  }

  # Session > Break on Error: on or off (keeps a user's own options(error =) when off).
  tools$.wd.set_break_on_error <- function(on) {
    hook <- quote(.wd.break_on_error())
    if (isTRUE(on)) {
      options(error = hook)
    } else if (identical(getOption("error"), hook)) {
      options(error = NULL)
    }
    invisible(isTRUE(on))
  }
})
invisible(NULL)
