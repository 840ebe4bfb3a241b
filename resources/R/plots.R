# webR Desktop's plots: R graphics go to webR's canvas device sized to the plots pane, with
# recording on, and every page gets an entry id and a recorded display list so the app can
# re-render it at any size and export it on R's own file devices. Runs after tools.R.
#
# The page learns which entry a canvas page belongs to from a `wd-plot` message that R posts
# just before the device starts the page (before.plot.new / before.grid.newpage hooks), in the
# same output stream as the canvas messages, so the order is exact.
local({
  # webR's LANG (en_POSIX.UTF-8) makes fontconfig warn on R's stderr at the first cairo
  # device; fontconfig reads FC_LANG first, which changes nothing else.
  if (!nzchar(Sys.getenv("FC_LANG"))) Sys.setenv(FC_LANG = "en")
  tools <- as.environment("tools:webr_desktop")
  st <- new.env(parent = emptyenv())
  st$width <- 504      # size of new devices in CSS pixels: the plots pane's logical size
  st$height <- 504
  st$dev <- 0L         # device number of the app's live canvas device (0: none yet)
  st$cur <- 0L         # entry id of the page on the live device (0: none)
  st$cur_dev <- 0L     # device holding entry st$cur
  st$last <- 0L        # last entry id handed out
  st$recs <- list()    # entry id (as a name) -> recordedplot
  st$keep <- 30L       # recordings kept; older entries keep their bitmap in the app only
  tools$.wd.plots <- st

  post <- function(entry, replace = FALSE) {
    webr::eval_js(sprintf(
      "postMessage({type: 'wd-plot', data: {entry: %d, replace: %s}}); 0",
      as.integer(entry), if (replace) "true" else "false"
    ))
  }

  open_canvas <- function(width, height, pointsize = 12) {
    webr::canvas(width = width, height = height, pointsize = pointsize, bg = "white")
    grDevices::dev.control("enable") # without it recordPlot() is silently empty
    grDevices::dev.cur()
  }

  alive <- function(d) d > 1L && d %in% grDevices::dev.list()

  store <- function(id, rec) {
    st$recs[[as.character(id)]] <- rec
    ids <- as.integer(names(st$recs))
    old <- ids[ids <= max(ids) - st$keep]
    if (length(old)) st$recs[as.character(old)] <- NULL
  }

  # Record the page on the live device (it is about to be replaced, or a command ended).
  record_live <- function() {
    if (st$cur == 0L || !alive(st$cur_dev)) return(invisible(FALSE))
    old <- grDevices::dev.cur()
    if (old != st$cur_dev) grDevices::dev.set(st$cur_dev)
    rec <- tryCatch(grDevices::recordPlot(), error = function(e) NULL)
    if (old != st$cur_dev && alive(old)) grDevices::dev.set(old)
    if (!is.null(rec)) store(st$cur, rec)
    invisible(!is.null(rec))
  }

  # options(device=): what plot.new() opens when no device is open, and what dev.new() opens.
  tools$.wd.canvas_device <- function(width = st$width, height = st$height, pointsize = 12, ...) {
    st$dev <- open_canvas(width, height, pointsize)
    if (st$cur_dev == 0L) st$cur_dev <- st$dev # a page whose entry was announced before the open
    invisible(NULL)
  }

  start_entry <- function() {
    record_live()
    st$last <- st$last + 1L
    st$cur <- st$last
    cur <- grDevices::dev.cur()
    st$cur_dev <- if (cur == 1L) 0L else cur # 0: set when the device opens
    post(st$cur)
  }

  # Device numbers are reused after dev.off(): a png() that gets our old number is not ours.
  is_ours <- function(d) {
    if (d == 1L) return(identical(getOption("device"), tools$.wd.canvas_device))
    d == st$dev && identical(names(grDevices::dev.cur()), "canvas")
  }

  before_plot_new <- function() {
    d <- grDevices::dev.cur()
    if (!is_ours(d)) return(invisible())
    # par("page") is FALSE when plot.new() only moves to the next panel of par(mfrow=).
    if (d != 1L && !isTRUE(graphics::par("page"))) return(invisible())
    start_entry()
  }
  before_grid_newpage <- function() {
    if (is_ours(grDevices::dev.cur())) start_entry()
  }

  # Reopen the live device at the current size and replay its page there, so drawing added
  # later (lines(), abline()) lands on a device the size of the pane.
  resize_live <- function() {
    d <- st$cur_dev
    if (st$cur == 0L || !alive(d) || d != st$dev) return(FALSE)
    rec <- st$recs[[as.character(st$cur)]]
    old <- grDevices::dev.cur()
    grDevices::dev.off(d)
    st$dev <- st$cur_dev <- open_canvas(st$width, st$height)
    post(st$cur, replace = TRUE)
    if (!is.null(rec)) try(grDevices::replayPlot(rec), silent = TRUE)
    if (old != d && alive(old)) grDevices::dev.set(old)
    TRUE
  }

  # Replay entry `id` on a temporary canvas of the current size; the page sends its image.
  render_entry <- function(id) {
    rec <- st$recs[[as.character(id)]]
    if (is.null(rec)) return(FALSE)
    old <- grDevices::dev.cur()
    d <- open_canvas(st$width, st$height)
    post(id, replace = TRUE)
    ok <- !inherits(try(grDevices::replayPlot(rec), silent = TRUE), "try-error")
    grDevices::dev.off(d)
    if (alive(old)) grDevices::dev.set(old)
    ok
  }

  tools$.wd.plot_size <- function(width, height) {
    st$width <- max(16, as.numeric(width))
    st$height <- max(16, as.numeric(height))
    invisible(NULL)
  }

  # Re-render entry `id` at width x height (the pane was resized or shows another entry).
  # FALSE when R no longer holds its recording.
  tools$.wd.plot_render <- function(id, width, height) {
    tools$.wd.plot_size(width, height)
    record_live()
    live <- resize_live()
    if (live && id == st$cur) return(TRUE)
    render_entry(id)
  }

  # The first cairo file device loads fonts (~0.5 s): done once, in the background after the
  # first plot, so the user's first export is as quick as the rest.
  tools$.wd.plot_warmup <- function() {
    old <- grDevices::dev.cur()
    f <- tempfile(fileext = ".png")
    grDevices::png(f, width = 32, height = 32)
    d <- grDevices::dev.cur()
    try(graphics::strwidth("x", units = "inches"), silent = TRUE) # loads the fonts
    grDevices::dev.off(d)
    unlink(f)
    if (alive(old)) grDevices::dev.set(old)
    invisible(NULL)
  }

  tools$.wd.plot_forget <- function(ids = NULL) {
    if (is.null(ids)) st$recs <- list() else st$recs[as.character(ids)] <- NULL
    invisible(NULL)
  }

  devices <- list(
    png = function(f, w, h, dpi) grDevices::png(f, width = round(w * dpi), height = round(h * dpi), res = dpi),
    jpeg = function(f, w, h, dpi) grDevices::jpeg(f, width = round(w * dpi), height = round(h * dpi), res = dpi, quality = 95),
    tiff = function(f, w, h, dpi) grDevices::tiff(f, width = round(w * dpi), height = round(h * dpi), res = dpi, compression = "lzw"),
    svg = function(f, w, h, dpi) grDevices::svg(f, width = w, height = h),
    pdf = function(f, w, h, dpi) grDevices::cairo_pdf(f, width = w, height = h)
  )

  # Replay entry `id` (0: the current one) onto one of R's file devices.
  tools$.wd.plot_export <- function(id, file, format, width_in, height_in, dpi) {
    if (id == 0L) id <- st$cur
    if (id == st$cur) record_live()
    rec <- st$recs[[as.character(id)]]
    if (is.null(rec)) {
      stop(if (id == 0L) "there is no plot to export"
           else if (id < 0L) "this plot is no longer recorded in R (drawn before a restart, or on a device you opened)"
           else sprintf("plot %d is no longer recorded (R keeps the last %d)", id, st$keep), call. = FALSE)
    }
    open <- devices[[format]]
    if (is.null(open)) stop(sprintf("unknown plot format '%s'", format), call. = FALSE)
    old <- grDevices::dev.cur()
    open(file, width_in, height_in, dpi)
    d <- grDevices::dev.cur()
    on.exit({
      grDevices::dev.off(d)
      if (alive(old)) grDevices::dev.set(old)
    })
    grDevices::replayPlot(rec)
    invisible(file)
  }

  # User-facing: export_plot("fig.png", width = 10, height = 7.5, dpi = 300).
  tools$export_plot <- function(file, width = 7, height = 5, dpi = 150, n = NULL,
                                format = NULL, units = c("in", "cm", "px")) {
    units <- match.arg(units)
    if (is.null(format)) {
      ext <- tolower(tools::file_ext(file))
      format <- switch(ext, jpg = , jpeg = "jpeg", tif = , tiff = "tiff", png = , svg = , pdf = ext,
        stop("can't tell the format from the file name; pass format = \"png\", \"jpeg\", \"tiff\", \"svg\" or \"pdf\"", call. = FALSE)
      )
    }
    factor <- switch(units, "in" = 1, cm = 1 / 2.54, px = 1 / dpi)
    id <- if (is.null(n)) 0L else as.integer(n)
    tools$.wd.plot_export(id, file, format, width * factor, height * factor, dpi)
  }

  # quick_plot(x): a native, interactive plot window for data too big for R's raster device.
  # The numbers cross as float64 bytes (x then y) read straight from webR's file system by
  # the worker; only the small description travels as text.
  tools$quick_plot <- function(x, y = NULL, type = c("line", "scatter", "hist"),
                               title = NULL, xlab = NULL, ylab = NULL) {
    type <- match.arg(type)
    if (is.null(title)) title <- paste(deparse(substitute(x), nlines = 1L), collapse = "")
    if (is.null(y)) {
      xv <- NULL
      yv <- x
      if (is.null(ylab)) ylab <- if (type == "hist") "count" else title
      if (is.null(xlab)) xlab <- if (type == "hist") title else "index"
    } else {
      xv <- x
      yv <- y
      if (is.null(xlab)) xlab <- paste(deparse(substitute(x), nlines = 1L), collapse = "")
      if (is.null(ylab)) ylab <- paste(deparse(substitute(y), nlines = 1L), collapse = "")
    }
    numeric_ok <- function(v) is.numeric(v) || is.logical(v) || inherits(v, c("Date", "POSIXct"))
    if (!numeric_ok(yv) || (!is.null(xv) && !numeric_ok(xv))) {
      stop("quick_plot() needs numeric vectors", call. = FALSE)
    }
    if (!is.null(xv) && length(xv) != length(yv)) {
      stop(sprintf("x and y lengths differ (%d and %d)", length(xv), length(yv)), call. = FALSE)
    }
    if (type == "hist" && !is.null(xv)) stop("a histogram takes one vector", call. = FALSE)
    n <- length(yv)
    if (n > 1e8) stop("quick_plot() takes at most 1e8 points", call. = FALSE)
    f <- tempfile("quickplot", fileext = ".bin")
    con <- file(f, "wb")
    if (!is.null(xv)) writeBin(as.double(xv), con, endian = "little")
    writeBin(as.double(yv), con, endian = "little")
    close(con)
    enc <- function(s) utils::URLencode(enc2utf8(as.character(s)[1L]), reserved = TRUE)
    meta <- sprintf(
      "{kind: '%s', n: %d, has_x: %s, title: decodeURIComponent('%s'), xlab: decodeURIComponent('%s'), ylab: decodeURIComponent('%s')}",
      type, n, if (is.null(xv)) "false" else "true", enc(title), enc(xlab), enc(ylab)
    )
    webr::eval_js(sprintf(
      "{ const p = '%s'; const b = FS.readFile(p); FS.unlink(p); postMessage({type: 'wd-quickplot', data: {meta: %s, bytes: b}}, [b.buffer]); } 0",
      f, meta
    ))
    invisible(NULL)
  }

  options(device = tools$.wd.canvas_device)
  setHook("before.plot.new", before_plot_new)
  setHook("before.grid.newpage", before_grid_newpage)
  invisible(addTaskCallback(function(...) {
    record_live()
    TRUE
  }, name = "webr_desktop_plots"))
})
invisible(NULL)
