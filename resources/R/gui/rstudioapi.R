# rstudioapi support: the `.rs.api.*` functions that rstudioapi finds in "tools:rstudio" on the
# search path (as RStudio attaches them), answered by the IDE window through a synchronous call
# to the app (resources/worker/rstudio_call.js, webr_desktop/server/rstudio_api.py).
# GUI only: `webr-desktop run` has no editor, so there rstudioapi::isAvailable() stays FALSE.
# Argument handling follows RStudio's own R code (src/cpp/r/R/Api.R): 1-based ranges from R,
# sent 0-based with the end (Inf) as null. Values come back in RStudio's shapes, which
# rstudioapi then classes (document_context, document_selection, document_range).
local({
  if ("tools:rstudio" %in% search()) detach("tools:rstudio", character.only = TRUE)
  api <- attach(NULL, pos = length(search()), name = "tools:rstudio")
  state <- new.env(parent = emptyenv())
  state$app_version <- "0"
  api$.wd.rstudioapi <- state
  API_VERSION <- "2023.6.0"  # the RStudio release whose API this matches (packages compare against it)

  # ---------------------------------------------------------------- JSON to the app
  controls <- c(1:8, 11L, 12L, 14:31)
  json_str <- function(x) {
    x <- enc2utf8(as.character(x))
    x <- gsub("\\", "\\\\", x, fixed = TRUE)
    x <- gsub("\"", "\\\"", x, fixed = TRUE)
    x <- gsub("\n", "\\n", x, fixed = TRUE)
    x <- gsub("\r", "\\r", x, fixed = TRUE)
    x <- gsub("\t", "\\t", x, fixed = TRUE)
    if (any(grepl("[\001-\037]", x, useBytes = TRUE))) {
      for (i in controls) x <- gsub(intToUtf8(i), sprintf("\\u%04x", i), x, fixed = TRUE)
    }
    paste0("\"", x, "\"")
  }
  to_json <- function(x) {
    if (is.null(x)) return("null")
    if (is.factor(x)) x <- as.character(x)
    if (is.list(x)) {
      if (!length(x)) return(if (is.null(names(x))) "[]" else "{}")
      items <- vapply(x, to_json, "", USE.NAMES = FALSE)
      if (is.null(names(x))) return(paste0("[", paste(items, collapse = ","), "]"))
      return(paste0("{", paste0(json_str(names(x)), ":", items, collapse = ","), "}"))
    }
    v <- if (is.character(x)) {
      ifelse(is.na(x), "null", json_str(x))
    } else if (is.logical(x)) {
      ifelse(is.na(x), "null", ifelse(x, "true", "false"))
    } else if (is.numeric(x)) {
      ifelse(is.finite(x), as.character(unclass(x)), "null")
    } else {
      stop("rstudioapi: can't send an object of class ", class(x)[1L], call. = FALSE)
    }
    paste0("[", paste(v, collapse = ","), "]")
  }

  # Call the IDE and wait for its answer; its error becomes an R error.
  rpc <- function(fn, ...) {
    args <- list(...)
    args <- args[!vapply(args, is.null, NA)]
    if (!length(args)) names(args) <- character()
    request <- to_json(list(fn = fn, args = args))
    answer <- webr::eval_js(paste0("globalThis.__wdRstudio.call(", json_str(request), ")"))
    res <- eval(str2lang(answer), baseenv())
    if (!is.null(res$error)) stop(res$error, call. = FALSE)
    res$value
  }
  api$.wd.rstudioapi_call <- rpc

  # Ranges as RStudio's validateAndTransformLocation leaves them: 0-based, Inf = the end.
  as_ranges <- function(location) {
    if (!is.list(location) || inherits(location, "document_range")) location <- list(location)
    lapply(location, function(el) {
      if (identical(el, Inf)) el <- c(Inf, 0, Inf, 0)
      if (is.list(el) && all(c("start", "end") %in% names(el))) el <- c(el$start, el$end)
      if (is.numeric(el) && length(el) == 2L) el <- c(el, el)
      if (length(el) != 4L || !is.numeric(el) || anyNA(el)) {
        stop("'ranges' should be a list of 4-element integer vectors", call. = FALSE)
      }
      el <- unname(as.numeric(el))
      el[el < 1] <- 1
      el - 1
    })
  }
  strings <- function(x) if (is.null(x)) character() else as.character(unlist(x))
  context <- function(ctx) {
    if (is.null(ctx)) return(NULL)
    list(
      id = ctx$id, path = ctx$path, contents = strings(ctx$contents),
      selection = lapply(ctx$selection, function(s) list(range = as.numeric(unlist(s$range)), text = s$text))
    )
  }
  one <- function(x, what) {
    if (!is.null(x) && (length(x) != 1L || is.na(x))) stop(sprintf("'%s' must be a single value", what), call. = FALSE)
    x
  }

  # ---------------------------------------------------------------- the API
  api$.rs.api.versionInfo <- function() {
    list(
      version = package_version(API_VERSION), mode = "desktop",
      long_version = sprintf("webR Desktop %s (RStudio API %s)", state$app_version, API_VERSION),
      release_name = "webR Desktop", app = "webR Desktop", app_version = state$app_version
    )
  }
  api$.rs.api.getVersion <- function() package_version(API_VERSION)
  api$.rs.api.getMode <- function() "desktop"
  api$.rs.api.getConsoleHasColor <- function() TRUE

  # Preferences: this IDE has none of RStudio's, except the editor's indent (two spaces);
  # anything else reads as the caller's default, as in Positron.
  prefs <- list(num_spaces_for_tab = 2L, use_spaces_for_tab = TRUE)
  api$.rs.api.readRStudioPreference <- function(name, default = NULL) {
    if (is.character(name) && length(name) == 1L && name %in% names(prefs)) prefs[[name]] else default
  }
  api$.rs.api.readPreference <- function(name, default = NULL) default

  api$.rs.api.getActiveDocumentContext <- function() context(rpc("getActiveDocumentContext"))
  api$.rs.api.getSourceEditorContext <- function(id = NULL) context(rpc("getSourceEditorContext", id = one(id, "id")))
  api$.rs.api.getConsoleEditorContext <- function() context(rpc("getConsoleEditorContext"))
  api$.rs.api.documentId <- function(allowConsole = TRUE) rpc("documentId", allowConsole = isTRUE(allowConsole))
  api$.rs.api.documentPath <- function(id = NULL) rpc("documentPath", id = one(id, "id"))

  api$.rs.api.insertText <- function(location = NULL, text = NULL, id = NULL) {
    if (is.null(text) && !is.null(location) && is.character(location)) {
      text <- location
      location <- NULL
    }
    if (is.null(text)) stop("'text' must be a character vector", call. = FALSE)
    text <- as.character(text)
    ranges <- NULL
    if (is.null(location)) {
      text <- paste(text, collapse = "\n")
    } else {
      ranges <- as_ranges(location)
      if (length(text) == 1L) text <- rep(text, length(ranges))
      if (length(text) != length(ranges)) {
        stop("'text' should have length 1 or the same length as 'location'", call. = FALSE)
      }
    }
    rpc("insertText", ranges = ranges, text = as.list(text), id = one(id, "id"))
    invisible(NULL)
  }
  api$.rs.api.modifyRange <- function(location = NULL, text = NULL, id = NULL) {
    api$.rs.api.insertText(location, text, id)
  }
  api$.rs.api.setSelectionRanges <- function(ranges, id = NULL) {
    rpc("setSelectionRanges", ranges = as_ranges(ranges), id = one(id, "id"))
    invisible(NULL)
  }

  api$.rs.api.documentNew <- function(type = "r", code = "", row = 0L, column = 0L, execute = FALSE) {
    code <- paste(as.character(code), collapse = "\n")
    invisible(rpc("documentNew", type = as.character(type)[1L], code = code,
                  row = as.numeric(row)[1L], column = as.numeric(column)[1L], execute = isTRUE(execute)))
  }
  open_file <- function(fn, path, line, column, move) {
    if (!is.character(path) || length(path) != 1L || !nzchar(path)) stop("'path' must be a file name", call. = FALSE)
    path <- normalizePath(path, winslash = "/", mustWork = FALSE)
    rpc(fn, path = path, line = as.numeric(line)[1L], column = as.numeric(column)[1L], moveCursor = isTRUE(move))
  }
  api$.rs.api.documentOpen <- function(path, line = -1L, col = -1L, moveCursor = TRUE) {
    invisible(open_file("documentOpen", path, line, col, moveCursor))
  }
  api$.rs.api.navigateToFile <- function(file = character(0), line = -1L, column = -1L, moveCursor = TRUE) {
    invisible(open_file("navigateToFile", file, line, column, moveCursor))
  }
  api$.rs.api.documentSave <- function(id = NULL) rpc("documentSave", id = one(id, "id"))
  api$.rs.api.documentSaveAll <- function() rpc("documentSaveAll")

  api$.rs.api.sendToConsole <- function(code, echo = TRUE, execute = TRUE, focus = TRUE, animate = FALSE) {
    rpc("sendToConsole", code = paste(as.character(code), collapse = "\n"),
        execute = isTRUE(execute), focus = isTRUE(focus))
    invisible(NULL)
  }
  api$.rs.api.viewer <- function(url, height = NULL) {
    viewer <- getOption("viewer")
    if (is.function(viewer)) viewer(url, height = height) else utils::browseURL(url)
    invisible(NULL)
  }

  text_arg <- function(x, what) {
    if (is.null(x)) return("")
    if (!is.character(x) || length(x) != 1L || is.na(x)) stop(sprintf("'%s' must be a string", what), call. = FALSE)
    x
  }
  api$.rs.api.selectFile <- function(caption = "Select File", label = "Select", path = "",
                                     filter = "All Files (*)", existing = TRUE) {
    rpc("selectFile", caption = text_arg(caption, "caption"), label = text_arg(label, "label"),
        path = text_arg(path, "path"), filter = text_arg(filter, "filter"), existing = isTRUE(existing))
  }
  api$.rs.api.selectDirectory <- function(caption = "Select Directory", label = "Select", path = "") {
    rpc("selectDirectory", caption = text_arg(caption, "caption"), label = text_arg(label, "label"),
        path = text_arg(path, "path"))
  }
  api$.rs.api.showDialog <- function(title, message, url = "") {
    rpc("showDialog", title = text_arg(title, "title"), message = text_arg(message, "message"),
        url = text_arg(url, "url"))
    invisible(NULL)
  }
  api$.rs.api.showPrompt <- function(title, message, default = NULL) {
    rpc("showPrompt", title = text_arg(title, "title"), message = text_arg(message, "message"),
        default = text_arg(default, "default"))
  }
  api$.rs.api.showQuestion <- function(title, message, ok = NULL, cancel = NULL) {
    isTRUE(rpc("showQuestion", title = text_arg(title, "title"), message = text_arg(message, "message"),
               ok = text_arg(ok, "ok"), cancel = text_arg(cancel, "cancel")))
  }
  api$.rs.api.askForPassword <- function(prompt = "Please enter your password") {
    rpc("askForPassword", prompt = text_arg(prompt, "prompt"))
  }

  api$.rs.api.getActiveProject <- function() rpc("getActiveProject")
  api$.rs.api.restartSession <- function(command = "") {
    rpc("restartSession", command = text_arg(command, "command"))
    invisible(NULL)
  }
  api$.rs.api.getThemeInfo <- function() {
    info <- rpc("getThemeInfo")
    list(editor = info$editor, global = info$global, dark = isTRUE(info$dark),
         foreground = info$foreground, background = info$background)
  }

  # rstudioapi::isAvailable() asks `.Platform$GUI == "RStudio"`; changing .Platform would make
  # other packages take RStudio-only paths, so (as Positron does) only rstudioapi is told.
  is_rstudio <- quote(identical(.Platform$GUI, "RStudio"))
  rewrite <- function(e) {
    if (identical(e, is_rstudio)) return(TRUE)
    if (is.call(e)) for (i in seq_along(e)[-1L]) if (!is.null(e[[i]])) e[[i]] <- rewrite(e[[i]])
    e
  }
  patch <- function(...) {
    ns <- asNamespace("rstudioapi")
    f <- get0("isAvailable", ns, inherits = FALSE)
    if (!is.function(f)) return(invisible())
    body(f) <- rewrite(body(f))
    unlockBinding("isAvailable", ns)
    on.exit(lockBinding("isAvailable", ns))
    assign("isAvailable", f, envir = ns)
    if ("package:rstudioapi" %in% search()) {
      pkg <- as.environment("package:rstudioapi")
      if (exists("isAvailable", pkg, inherits = FALSE)) {
        unlockBinding("isAvailable", pkg)
        assign("isAvailable", f, envir = pkg)
        lockBinding("isAvailable", pkg)
      }
    }
    invisible()
  }
  hooks <- getHook(packageEvent("rstudioapi", "onLoad"))
  if (!any(vapply(hooks, function(h) isTRUE(attr(h, "wd.rstudioapi")), NA))) {
    setHook(packageEvent("rstudioapi", "onLoad"), structure(patch, wd.rstudioapi = TRUE))
  }
  if ("rstudioapi" %in% loadedNamespaces()) patch()

  # Called by the app at each R start: where to send calls, and the worker half.
  api$.wd.rstudioapi_start <- function(url, js, app_version) {
    state$app_version <- app_version
    webr::eval_js(js)
    webr::eval_js(paste0("globalThis.__wdRstudio.url = ", json_str(url), "; 0"))
    invisible(NULL)
  }
})
invisible(NULL)
