# Networking for R (see webr_desktop/net/): every socket is routed through the app's proxy by
# the worker-side snippet sockfs_route.js; this file holds the R half.
local({
  tools <- as.environment("tools:webr_desktop")
  state <- new.env()
  state$on <- FALSE
  state$port <- 0L
  state$fetch_url <- ""
  tools$.wd.net_state <- state

  messages <- c(
    off = "networking is off: turn it on with Session \u25b8 Network",
    starting = "networking is still starting: try again in a moment",
    failed = "networking failed to start: see Session \u25b8 Network (the status bar says why)"
  )
  state$message <- messages[["off"]]

  # Called by the app at each R start and whenever the proxy changes state.
  tools$.wd.net_configure <- function(port, secret, on, fetch_url = "", policy = "all",
                                      status = if (isTRUE(on)) "on" else "off") {
    stopifnot(policy %in% c("all", "public", "list"))
    state$message <- if (status %in% names(messages)) messages[[status]] else messages[["off"]]
    stopifnot(grepl("^[A-Za-z0-9_-]*$", secret))
    state$on <- isTRUE(on) && port > 0L
    state$port <- as.integer(port)
    state$fetch_url <- fetch_url
    webr::eval_js(sprintf(
      "Object.assign(globalThis.__wdNet, {port: %d, secret: '%s', on: %s, fetchUrl: %s, policy: '%s', connectTimeoutMs: %.0f}); 0",
      as.integer(port), secret, if (state$on) "true" else "false",
      encodeString(fetch_url, quote = '"'), policy, 1000 * as.numeric(getOption("timeout", 60))
    ))
    invisible(state$on)
  }

  # Why the last connection to host:port was refused ("" if we don't know).
  tools$.wd.net_refusal <- function(host, port) {
    key <- paste0(host, ":", port)
    webr::eval_js(sprintf(
      "(globalThis.__wdNet && globalThis.__wdNet.refusals[%s]) || ''",
      encodeString(key, quote = '"')
    ))
  }

  # R's own functions, taken now: unmask.R puts the app's versions in their place.
  r_download.file <- utils::download.file
  r_url <- base::url
  r_socketConnection <- base::socketConnection
  r_readBin <- base::readBin
  r_readLines <- base::readLines
  r_readChar <- base::readChar

  # base::socketConnection with clear errors: networking off, or refused by the policy.
  tools$socketConnection <- function(host = "localhost", port, server = FALSE, blocking = FALSE,
                                     open = "a+", encoding = getOption("encoding"),
                                     timeout = getOption("timeout"), options = getOption("socketOptions")) {
    if (!server && !isTRUE(state$on)) stop(state$message, call. = FALSE)
    ms <- if (is.numeric(timeout) && length(timeout) == 1L && !is.na(timeout) && timeout > 0) timeout * 1000 else 60000
    tryCatch({
      # The worker waits for the proxy's answer at most R's timeout (then ETIMEDOUT).
      webr::eval_js(sprintf("globalThis.__wdNet.connectTimeoutMs = %.0f; 0", ms))
      on.exit(webr::eval_js(sprintf("globalThis.__wdNet.connectTimeoutMs = %.0f; 0",
                                    1000 * as.numeric(getOption("timeout", 60)))), add = TRUE)
      con <- r_socketConnection(host, port, server, blocking, open, encoding, timeout, options)
      if (!server) {
        webr::eval_js(sprintf("globalThis.__wdNet.tag(%d, %.0f)", as.integer(con), if (isTRUE(blocking)) ms else 0))
      }
      con
    },
      error = function(e) {
        why <- if (!server) tools$.wd.net_refusal(host, port) else ""
        if (nzchar(why)) stop(sprintf("cannot connect to %s:%s: %s", host, port, why), call. = FALSE)
        stop(e)
      }
    )
  }

  # R's socket reads take a reset (the proxy child died, the target reset) as a short read,
  # and drop what the same call had read (so a reset read returns nothing): these readers turn
  # it into an R error. The check costs a worker call (~0.3 ms), so only empty reads pay it.
  reset_check <- function(con) {
    if (inherits(con, "sockconn") && isOpen(con)) {
      why <- webr::eval_js(sprintf("globalThis.__wdNet.resetOf(%d)", as.integer(con)))
      if (nzchar(why)) stop(sprintf("cannot read from the connection: %s", why), call. = FALSE)
    }
  }
  # Each reader is R's own function (formals and body) with the check after its body, so R's
  # .Internal() runs in the frame of the user's call: R's warnings and errors name that call
  # ("In readLines(zz) :"), as in R, not a wrapper's. The body finds R's functions in base's
  # namespace first, as R's own does; `.wd_res` is the one name added to its frame.
  checked <- function(orig, check) {
    f <- orig
    body(f) <- substitute({
      .wd_res <- BODY
      CHECK
      .wd_res
    }, list(BODY = body(orig), CHECK = check))
    home <- new.env(parent = .BaseNamespaceEnv)
    home$reset_check <- reset_check
    environment(f) <- home
    f
  }
  tools$readBin <- checked(r_readBin, quote(if (!length(.wd_res) && n > 0) reset_check(con)))
  tools$readLines <- checked(r_readLines, quote(if (n < 0L || length(.wd_res) < n) reset_check(con)))
  tools$readChar <- checked(r_readChar, quote(if (!length(.wd_res) || !all(nzchar(.wd_res))) reset_check(con)))

  is_web <- function(url) {
    is.character(url) && length(url) == 1L && !is.na(url) && grepl("^https?://", url, ignore.case = TRUE)
  }

  # Fetch url into the file `dest` through the app (no CORS limits); an R error on failure.
  fetch_to <- function(url, dest, headers = NULL, quiet = TRUE) {
    if (!isTRUE(state$on)) stop(state$message, call. = FALSE)
    hdr <- if (length(headers)) as.list(headers) else structure(list(), names = character())
    if (length(headers) && is.null(names(headers))) stop("'headers' must be named", call. = FALSE)
    json <- paste0("{", paste(sprintf("%s:%s", encodeString(names(hdr), quote = '"'),
                                      encodeString(as.character(unlist(hdr)), quote = '"')),
                              collapse = ","), "}")
    timeout <- getOption("timeout", 60)
    res <- webr::eval_js(sprintf(
      "globalThis.__wdNet.download(%s, %s, %s, %s)",
      encodeString(url, quote = '"'), encodeString(dest, quote = '"'),
      encodeString(json, quote = '"'), format(as.numeric(timeout))
    ))
    info <- .wd.net_json(res)
    if (!is.null(info$error)) {
      stop(sprintf("cannot open URL '%s': %s", url, info$error), call. = FALSE)
    }
    if (!quiet) message(sprintf("downloaded %s bytes from %s", format(info$size, big.mark = ","), info$url))
    invisible(info)
  }
  tools$.wd.net_fetch <- fetch_to

  # download.file() for http(s) URLs goes through the app when networking is on; other
  # URLs (file://, several at once) keep utils' behaviour.
  tools$download.file <- function(url, destfile, method, quiet = FALSE, mode = "w", cacheOK = TRUE,
                                  extra = getOption("download.file.extra"), headers = NULL, ...) {
    if (!is_web(url) || !nzchar(state$fetch_url)) {
      return(r_download.file(url, destfile, method, quiet, mode, cacheOK, extra, headers, ...))
    }
    fetch_to(url, normalizePath(destfile, mustWork = FALSE), headers, quiet)
    invisible(0L)
  }

  # url("https://...") read through the app: the body is fetched to a temporary file first.
  tools$url <- function(description, open = "", blocking = TRUE, encoding = getOption("encoding"),
                        method = getOption("url.method", "default"), headers = NULL) {
    if (!is_web(description) || !nzchar(state$fetch_url) || grepl("w|a", open)) {
      return(r_url(description, open, blocking, encoding, method, headers))
    }
    tmp <- tempfile("url-")
    fetch_to(description, tmp, headers)
    file(tmp, open = open, encoding = encoding)
  }

  # The few fields fetch_to needs from the worker's JSON reply (no jsonlite in base webR).
  tools$.wd.net_json <- function(text) {
    field <- function(name) {
      m <- regmatches(text, regexec(sprintf('"%s"\\s*:\\s*("((?:[^"\\\\]|\\\\.)*)"|-?[0-9.]+)', name), text, perl = TRUE))[[1L]]
      if (!length(m)) return(NULL)
      if (startsWith(m[2L], '"')) eval(parse(text = m[2L])) else as.numeric(m[2L])
    }
    list(error = field("error"), status = field("status"), size = field("size"), url = field("url"))
  }
})
invisible(NULL)
