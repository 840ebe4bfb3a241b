# Editor breakpoints in R (issue 16 item 1).
#
# The app tells R the wanted lines of a file with .wd.bp_set(file, lines): one eval per change,
# answered with the file's status (which lines R will stop on, and why not for the others).
# R places a breakpoint by tracing the function of the global environment whose srcref comes
# from that file (trace(edit =) with a body built here: `{ .doTrace(<stop>); <statement> }`
# at each wanted statement, as trace(at =) does, but the inserted blocks carry the
# statement's srcref, so R's own "debug at file.R#3:" and sys.calls()' srcrefs name the right
# line; utils::setBreakpoint() can't: it places one line per function and its blocks have no
# srcref). Clearing a file's lines untraces its functions.
#
# A task callback (after every top-level command, so `source("f.R"); f()` on one line works
# too) re-places breakpoints on functions that were (re)defined from a file with breakpoints:
# source() makes a new srcfile environment each time, so a function whose srcfile is not the
# one last handled is new. .wd.bp_status(gen) tells the app what changed (NULL if nothing).
#
# Top-level code (outside every function): RStudio stops there only when it sources the file
# with its debugSource(). Here plain source() does it: while any file has breakpoints, base's
# source() is a thin wrapper that, for a file with breakpoints on top-level statements, parses
# it as source() would and evaluates it with source(exprs =), each such statement preceded by
# a stop (R's browser in the environment source() evaluates in: the user sees the variables
# made so far; Continue runs on to the next breakpoint). Any other call goes to R's own
# source() unchanged, and without breakpoints R's own source() is back in place.
local({
  tools <- as.environment("tools:webr_desktop")
  g <- globalenv()
  st <- new.env(parent = emptyenv())
  st$files <- list()   # normalised R path -> wanted lines (integer)
  st$text <- list()    # R path -> the file's lines as last read or sourced
  st$done <- list()    # function name -> list(sf, lines, traced): what was last placed in it
  st$status <- list()  # R path -> list of line statuses
  st$parsed <- list()  # R path -> list(text, exprs): the last parse of its text
  st$gen <- 0L         # bumped when any status changes
  st$dirty <- FALSE    # a file with breakpoints was sourced: sync after this command
  tools$.wd.bp_state <- st

  norm <- function(p) {
    p <- path.expand(p)
    out <- character()
    for (x in strsplit(p, "/", fixed = TRUE)[[1]]) {
      if (x == "" || x == ".") next
      if (x == "..") out <- out[-length(out)] else out <- c(out, x)
    }
    paste0("/", paste(out, collapse = "/"))
  }

  src_path <- function(sf) {
    fn <- sf$filename
    if (!is.character(fn) || length(fn) != 1L || !nzchar(fn)) return("")
    if (!startsWith(path.expand(fn), "/")) {
      wd <- sf$wd
      if (!is.character(wd) || length(wd) != 1L) return("")
      fn <- file.path(wd, fn)
    }
    norm(fn)
  }

  untraced <- function(f) if (inherits(f, "functionWithTrace")) attr(f, "original") else f

  # The closures among `names` in the global environment defined from `files`, never forcing
  # a promise or calling an active binding (as the Environment pane, env.R). Only candidate
  # names are looked at (functions assigned at the top level of those files, and those traced
  # before): a scan of a global environment of 10,000 objects costs ~1 s in webR.
  closures_from <- function(files, names) {
    nm <- names[vapply(names, exists, NA, envir = g, inherits = FALSE)]
    if (!length(nm)) return(list())
    nm <- nm[!vapply(nm, bindingIsActive, NA, env = g)]
    vals <- .Internal(getVarsFromFrame(nm, g, FALSE))
    out <- list()
    for (i in seq_along(nm)) {
      f <- vals[[i]]
      if (typeof(f) != "closure") next
      orig <- untraced(f)
      sr <- attr(orig, "srcref")
      sf <- if (is.null(sr)) NULL else attr(sr, "srcfile")
      if (!is.environment(sf)) next
      path <- src_path(sf)
      if (!(path %in% files)) next
      out[[nm[[i]]]] <- list(f = f, orig = orig, sr = sr, sf = sf, path = path)
    }
    out
  }

  # The value bound to `name` in the global environment, without forcing or calling it.
  peek <- function(name) {
    if (!exists(name, envir = g, inherits = FALSE) || bindingIsActive(name, g)) return(NULL)
    .Internal(getVarsFromFrame(name, g, FALSE))[[1L]]
  }

  is_block <- function(x) is.call(x) && identical(x[[1L]], as.name("{")) && !is.null(attr(x, "srcref"))

  # The path (as trace(at =) takes it) to the innermost statement of `block` that starts at or
  # spans `line`; NULL when no statement covers it.
  locate <- function(block, line) {
    srs <- attr(block, "srcref")
    for (i in seq_along(block)[-1L]) {
      sr <- srs[[i]]
      if (line < sr[[1L]]) return(NULL)
      if (line > sr[[3L]]) next
      inner <- descend(block[[i]], line)
      if (!is.null(inner)) return(list(path = c(i, inner$path), at = inner$at))
      return(list(path = i, at = sr[[1L]]))
    }
    NULL
  }

  # A statement spanning `line` may hold blocks (if/for/while bodies, a function passed to
  # lapply): the innermost statement at `line` inside one of them.
  descend <- function(expr, line) {
    if (!is.call(expr)) return(NULL)
    if (is_block(expr)) return(locate(expr, line))
    for (j in seq_along(expr)[-1L]) {
      sub <- expr[[j]]
      if (!is.call(sub)) next
      found <- descend(sub, line)
      if (!is.null(found)) return(list(path = c(j, found$path), at = found$at))
    }
    NULL
  }

  text_reason <- function(text) {
    t <- trimws(text)
    if (is.na(t) || !nzchar(t)) return("a blank line: R has nothing to stop on")
    if (startsWith(t, "#")) return("a comment: R has nothing to stop on")
    if (grepl("^[])}]+[,;]?(\\s*#.*)?$", t)) return("a closing bracket: R can't stop on it")
    ""
  }

  status <- function(line, state, at = line, fun = "", reason = "") {
    list(line = as.integer(line), state = state, at = as.integer(at), fun = fun, reason = reason)
  }

  # Where in function `x` each wanted line stops: statuses, and the paths to trace.
  plan <- function(name, x, lines) {
    sr <- x$sr
    body <- body(x$orig)
    text <- st$text[[x$path]]
    out <- list(statuses = list(), paths = list(), ats = list())
    for (line in lines) {
      why <- if (line <= length(text)) text_reason(text[[line]]) else ""
      if (nzchar(why)) {
        out$statuses[[length(out$statuses) + 1L]] <- status(line, "invalid", reason = why)
        next
      }
      found <- if (is_block(body)) {
        first <- if (length(body) > 1L) attr(body, "srcref")[[2L]][[1L]] else NA
        if (!is.na(first) && line < first) {
          list(path = 2L, at = first,
               note = sprintf("R stops at line %d, the first statement of %s()", first, name))
        } else {
          locate(body, line)
        }
      } else {
        list(path = integer(), at = sr[[1L]], note = sprintf("R stops when %s() is called", name))
      }
      if (is.null(found)) {
        out$statuses[[length(out$statuses) + 1L]] <- status(line, "invalid", fun = name,
          reason = sprintf("no statement of %s() starts or runs on this line", name))
        next
      }
      out$statuses[[length(out$statuses) + 1L]] <- status(line, "placed", found$at, name, found$note %||% "")
      key <- paste(found$path, collapse = ",")
      if (!(key %in% names(out$paths))) {
        out$paths[[key]] <- found$path
        out$ats[[key]] <- found$at
      }
    }
    out
  }

  stop_expr <- function(sf, at, srcref) {
    first <- if (is.null(srcref)) "" else as.character(srcref)[[1L]]
    msg <- sprintf("debug at %s#%d: %s\n", sf$filename, as.integer(at), first)
    bquote({
      cat(.(msg))
      browser(skipCalls = 4L)
    })
  }

  # A copy of `orig` whose statements at `paths` are `{ .doTrace(<stop>); <statement> }`,
  # the block carrying the statement's srcref; deepest paths first, so outer indices hold.
  traced_body <- function(orig, paths, ats, sf) {
    body <- body(orig)
    if (!length(paths[[1L]])) {  # no braces: trace on entry
      sr <- attr(orig, "srcref")
      block <- call("{", call(".doTrace", stop_expr(sf, ats[[1L]], sr)), body)
      attr(block, "srcref") <- list(sr, sr, sr)
      return(block)
    }
    order <- order(-lengths(paths))
    for (k in order) {
      path <- paths[[k]]
      parent <- if (length(path) > 1L) body[[path[-length(path)]]] else body
      sr <- attr(parent, "srcref")[[path[[length(path)]]]]
      block <- call("{", call(".doTrace", stop_expr(sf, ats[[k]], sr)), body[[path]])
      attr(block, "srcref") <- list(sr, sr, sr)
      body[[path]] <- block
    }
    body
  }

  place <- function(name, x, lines) {
    if (inherits(x$f, "functionWithTrace")) {
      # trace(edit =) keeps a traced function as the "original" of the next trace: start
      # from the untraced one, so clearing a line removes it and untrace() restores R's own.
      suppressMessages(untrace(name, where = g))
      x$f <- x$orig <- get(name, envir = g, inherits = FALSE)
    }
    p <- plan(name, x, lines)
    traced <- FALSE
    if (length(p$paths)) {
      f <- x$orig
      body(f) <- traced_body(x$orig, unname(p$paths), unname(p$ats), x$sf)
      ok <- tryCatch({
        suppressMessages(trace(name, edit = function(name, file, title) f, where = g, print = FALSE))
        TRUE
      }, error = function(e) conditionMessage(e))
      if (isTRUE(ok)) {
        traced <- TRUE
      } else {
        p$statuses <- lapply(p$statuses, function(s) {
          if (s$state == "placed") status(s$line, "invalid", s$at, name, paste("trace() failed:", ok)) else s
        })
      }
    }
    st$done[[name]] <- list(sf = x$sf, lines = lines, traced = traced, value = peek(name))
    p$statuses
  }

  is_fun_def <- function(e) {
    is.call(e) && as.character(e[[1L]])[[1L]] %in% c("<-", "=", "<<-") && length(e) == 3L &&
      is.call(e[[3L]]) && identical(e[[3L]][[1L]], as.name("function"))
  }

  # Names that the file's top-level statements assign functions to.
  fun_names <- function(exprs) {
    out <- character()
    for (e in exprs) {
      if (is_fun_def(e) && (is.name(e[[2L]]) || is.character(e[[2L]]))) out <- c(out, as.character(e[[2L]]))
    }
    out
  }

  candidates <- function() {
    nm <- names(st$done)
    for (file in names(st$files)) {
      exprs <- parse_text(st$text[[file]], file)
      if (!is.null(exprs)) nm <- c(nm, fun_names(exprs))
    }
    unique(nm)
  }

  # For each wanted line outside functions: the top-level statement R stops before
  # (list(i, at)), from the file's text parsed as source() parses it.
  toplevel_stops <- function(exprs, lines) {
    srs <- attr(exprs, "srcref")
    out <- list()
    for (line in lines) {
      for (i in seq_along(exprs)) {
        sr <- srs[[i]]
        if (line < sr[[1L]] || line > sr[[3L]]) next
        if (!is_fun_def(exprs[[i]])) out[[as.character(line)]] <- list(i = i, at = sr[[1L]])
        break
      }
    }
    out
  }

  # The file's text parsed (for the statuses of top-level lines), cached while it is unchanged.
  parse_text <- function(text, file) {
    hit <- st$parsed[[file]]
    if (!is.null(hit) && identical(hit$text, text)) return(hit$exprs)
    exprs <- tryCatch(parse(text = text, srcfile = srcfilecopy(file, text), keep.source = TRUE),
                      error = function(e) NULL)
    st$parsed[[file]] <- list(text = text, exprs = exprs)
    exprs
  }

  TOPLEVEL <- "R stops before this top-level statement when the file is sourced"
  NOT_SOURCED <- "not active yet: R places it when the file is sourced"
  CHANGED <- "not active yet: the file changed since R sourced it; R places it when it is sourced again"

  # source() while breakpoints exist: top-level stops for a file that has some.
  tools$.wd.bp_source <- function(file, local = FALSE, ...) {
    mc <- match.call(expand.dots = TRUE)
    mc[[1L]] <- quote(source)  # R's own source() below: its errors name source(), as in R
    if (isTRUE(local)) mc$local <- parent.frame()
    key <- if (!missing(file) && is.character(file) && length(file) == 1L && is.null(mc$exprs)) {
      norm(if (startsWith(path.expand(file), "/")) file else file.path(getwd(), file))
    } else ""
    exprs <- NULL
    if (key %in% names(st$files)) {
      st$dirty <- TRUE  # the task callback places breakpoints in what this defines
      if (file.exists(file)) st$text[[key]] <- readLines(file, warn = FALSE)
      if (!isTRUE(mc$chdir) && !isFALSE(mc$keep.source)) exprs <- toplevel_exprs(file, key)
    }
    if (!is.null(exprs)) {
      mc$file <- NULL
      mc$exprs <- exprs
      if (is.null(mc$spaced)) mc$spaced <- TRUE
    } else if (!isTRUE(local)) {
      mc <- sys.call()  # the call as typed (an error says `source("f.R")`, not `file = `)
      mc[[1L]] <- quote(source)
    }
    eval(mc, list(source = base_source), parent.frame())
  }

  toplevel_exprs <- function(file, key) {
    want <- st$files[[key]]
    text <- st$text[[key]]
    if (!length(want) || !length(text)) return(NULL)
    sf <- srcfilecopy(file, text, file.mtime(file), isFile = TRUE)
    exprs <- tryCatch(parse(text = text, srcfile = sf, keep.source = TRUE), error = function(e) NULL)
    if (is.null(exprs)) return(NULL)  # R's own source() reports the syntax error
    want <- want[vapply(want, function(n) n > length(text) || !nzchar(text_reason(text[[n]])), NA)]
    stops <- toplevel_stops(exprs, want)
    if (!length(stops)) return(NULL)
    srs <- attr(exprs, "srcref")
    for (i in unique(vapply(stops, function(x) x$i, 1L))) {
      sr <- srs[[i]]
      msg <- sprintf("debug at %s#%d: %s\n", file, as.integer(sr[[1L]]), as.character(sr)[[1L]])
      stop_here <- bquote({
        cat(.(msg))
        browser()
      })
      block <- call("{", stop_here, exprs[[i]])
      attr(block, "srcref") <- list(sr, sr, sr)
      exprs[[i]] <- block
    }
    exprs
  }

  base_source <- get("source", envir = baseenv())
  tools$.wd.bp_source_orig <- base_source
  hook_source <- function(on) {
    want <- if (on) tools$.wd.bp_source else base_source
    if (identical(get("source", envir = baseenv()), want)) return(invisible())
    locked <- bindingIsLocked("source", baseenv())
    if (locked) unlockBinding("source", baseenv())
    assign("source", want, envir = baseenv())
    if (locked) lockBinding("source", baseenv())
  }

  # Re-place where needed; `force`: files whose wanted lines changed. Returns TRUE if any
  # status changed.
  sync <- function(force = character()) {
    files <- names(st$files)
    funs <- closures_from(files, candidates())
    # Functions we traced whose file lost all its breakpoints: untrace them.
    for (name in names(st$done)) {
      if (!is.null(funs[[name]])) next
      cur <- get0(name, envir = g, inherits = FALSE)
      if (inherits(cur, "functionWithTrace") && isTRUE(st$done[[name]]$traced) &&
          identical(attr(attr(attr(cur, "original"), "srcref"), "srcfile"), st$done[[name]]$sf)) {
        suppressMessages(untrace(name, where = g))
      }
      st$done[[name]] <- NULL
    }
    per_fun <- list()
    for (name in names(funs)) {
      x <- funs[[name]]
      if (!length(st$text[[x$path]]) && !is.null(x$sf$lines)) st$text[[x$path]] <- x$sf$lines
      sr <- x$sr
      wanted <- st$files[[x$path]]
      # The file changed on disk since R sourced this function: the editor's line numbers are
      # the new file's, so nothing is placed in the old function (its lines are pending).
      x$stale <- !is.null(x$sf$lines) && !identical(as.character(x$sf$lines), st$text[[x$path]])
      funs[[name]]$stale <- x$stale
      lines <- if (x$stale) integer() else wanted[wanted >= sr[[1L]] & wanted <= sr[[3L]]]
      prev <- st$done[[name]]
      same <- !is.null(prev) && identical(prev$sf, x$sf) && identical(prev$lines, lines) &&
        identical(prev$traced, inherits(x$f, "functionWithTrace")) && !(x$path %in% force)
      per_fun[[name]] <- if (same) prev$statuses else place(name, x, lines)
      st$done[[name]]$statuses <- per_fun[[name]]
    }
    new <- list()
    for (file in files) {
      mine <- Filter(function(x) x$path == file, funs)
      seen <- list()
      for (name in names(mine)) for (s in per_fun[[name]]) seen[[as.character(s$line)]] <- s
      text <- st$text[[file]]
      exprs <- if (length(text)) parse_text(text, file) else NULL
      new[[file]] <- lapply(st$files[[file]], function(line) {
        s <- seen[[as.character(line)]]
        if (!is.null(s)) return(s)
        why <- if (line <= length(text)) text_reason(text[[line]]) else ""
        if (nzchar(why)) return(status(line, "invalid", reason = why))
        top <- if (!is.null(exprs)) toplevel_stops(exprs, line) else list()
        if (length(top)) top <- top[[1L]]
        if (length(top)) return(status(line, "placed", top$at, reason = TOPLEVEL))
        changed <- any(vapply(mine, function(x) isTRUE(x$stale), NA))
        status(line, "pending", reason = if (changed) CHANGED else NOT_SOURCED)
      })
    }
    if (!identical(new, st$status)) {
      st$status <- new
      st$gen <- st$gen + 1L
      return(TRUE)
    }
    FALSE
  }

  file_status <- function(file) list(file = file, lines = st$status[[file]] %||% list())

  # The app's one call per change of a file's breakpoints. `file`: the R path; `temp`: the
  # name of the file in tempdir() (ScriptSourcer's copy of a file outside the mounted folders).
  tools$.wd.bp_set <- function(file, lines, temp = FALSE) {
    file <- if (isTRUE(temp)) norm(file.path(tempdir(), basename(file))) else norm(file)
    lines <- sort(unique(as.integer(lines)))
    if (length(lines)) {
      st$files[[file]] <- lines
      # The file as saved now (the app sends its lines after each save).
      st$text[[file]] <- if (!file.exists(file)) character() else
        tryCatch(suppressWarnings(readLines(file, warn = FALSE)), error = function(e) character())
    } else {
      st$files[[file]] <- NULL
    }
    hook_source(length(st$files) > 0L)
    sync(force = file)
    c(file_status(file), gen = st$gen)
  }

  # What changed since the app's `gen` (NULL if nothing): every file's statuses.
  tools$.wd.bp_status <- function(gen) {
    if (identical(as.integer(gen), st$gen)) return(NULL)
    list(gen = st$gen, files = unname(lapply(names(st$status), file_status)))
  }

  if ("wd-breakpoints" %in% getTaskCallbackNames()) removeTaskCallback("wd-breakpoints")
  # After each top-level command: work only if a source() of a file with breakpoints ran, or
  # a function traced here was replaced (redefined at the console, untraced by hand, removed).
  replaced <- function() {
    for (name in names(st$done)) if (!identical(peek(name), st$done[[name]]$value)) return(TRUE)
    FALSE
  }
  addTaskCallback(function(...) {
    if (length(st$files) && (isTRUE(st$dirty) || replaced())) {
      st$dirty <- FALSE
      try(sync(), silent = TRUE)
    }
    TRUE # keep the callback
  }, name = "wd-breakpoints")
  invisible(NULL)
})
invisible(NULL)
