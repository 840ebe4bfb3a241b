# webR Desktop's help: `?lm`, help(), help.search()/`??`, help(package=) and file.show() show
# their pages in the app's Help pane instead of webR's missing system pager. Runs after tools.R.
#
# Printing a help object posts a `wd-help` message carrying only an id; the app then asks
# .wd.help_get(id) for the page, a list(kind = "html"|"text", title, url, body). The page is
# built only then, so the console prompt comes back before the (slow, ~0.3 s) Rd rendering.
# The app's search box and links call .wd.help_topic(), .wd.help_file(), .wd.help_search() and
# .wd.help_package(), which return the same shape. `url` names a page stably for history:
# help:PKG/FILE (an Rd page), help-index:PKG, help-search:QUERY, help-topic:TOPIC (a chooser
# between matches) and text:ID (paged text). Until the app's HelpService attaches
# (.wd.help_attach()), e.g. in `webr-desktop run`, help prints as text like Rscript's.
local({
  tools <- as.environment("tools:webr_desktop")
  st <- new.env(parent = emptyenv())
  st$last <- 0L           # last page id handed out
  st$items <- list()      # page id (as a name) -> function() returning the page
  st$keep <- 50L          # pages kept for the app to fetch
  st$links_key <- NULL    # the installed packages the link tables were built for
  st$links <- list()      # package dir -> Rd2HTML link table (topic -> ../../PKG/html/FILE.html)
  st$rd_info <- list()    # package dir -> Meta/Rd.rds (file names, titles, aliases)
  st$app <- FALSE         # the app's Help pane shows help (else it prints as text)
  tools$.wd.help <- st

  esc <- function(x) {
    x <- enc2utf8(as.character(x))
    x <- gsub("&", "&amp;", x, fixed = TRUE)
    x <- gsub("<", "&lt;", x, fixed = TRUE)
    x <- gsub(">", "&gt;", x, fixed = TRUE)
    x <- gsub("\"", "&quot;", x, fixed = TRUE)
    gsub("'", "&#39;", x, fixed = TRUE)
  }
  file_href <- function(pkg, file) {
    paste0("../../", utils::URLencode(pkg, reserved = TRUE), "/html/",
           utils::URLencode(file, reserved = TRUE), ".html")
  }
  link <- function(href, text) paste0("<a href=\"", esc(href), "\">", esc(text), "</a>")

  page <- function(kind, title, url, body) {
    list(kind = kind, title = enc2utf8(title), url = enc2utf8(url), body = enc2utf8(body))
  }
  html_page <- function(title, url, body) {
    page("html", title, url, paste0(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", esc(title),
      "</title></head><body>\n<h2>", esc(title), "</h2>\n", paste(body, collapse = "\n"),
      "\n</body></html>\n"
    ))
  }

  # Remember how to build a page and tell the app it is there.
  post <- function(build) {
    st$last <- st$last + 1L
    id <- st$last
    st$items[[as.character(id)]] <- build
    if (length(st$items) > st$keep) st$items <- utils::tail(st$items, st$keep)
    tools$.wd.post("wd-help", id)
    invisible(id)
  }

  tools$.wd.help_get <- function(id) {
    build <- st$items[[as.character(id)]]
    if (is.null(build)) stop("this help page is no longer available in R", call. = FALSE)
    build()
  }

  # ------------------------------------------------------------------ packages and Rd files
  pkg_dir <- function(pkg) {
    dir <- find.package(pkg, quiet = TRUE)
    if (!length(dir)) {
      stop(sprintf("There is no package called '%s' in webR's library, so its help can't be shown.", pkg),
           call. = FALSE)
    }
    dir[1L]
  }

  # Link tables for Rd2HTML cost ~0.4 s to build: built once per set of installed packages.
  refresh_tables <- function() {
    key <- unlist(lapply(.libPaths(), list.files))
    if (!identical(key, st$links_key)) {
      st$links_key <- key
      st$links <- list()
      st$rd_info <- list()
    }
  }
  link_table <- function(pkgdir) {
    refresh_tables()
    if (is.null(st$links$.all)) st$links$.all <- suppressWarnings(tools::findHTMLlinks("", level = 1:3))
    table <- st$links[[pkgdir]]
    if (is.null(table)) {
      own <- suppressWarnings(tools::findHTMLlinks(pkgdir, level = 0L))
      table <- c(own, st$links$.all)
      table <- table[!duplicated(names(table))]
      st$links[[pkgdir]] <- table
    }
    table
  }
  rd_info <- function(pkgdir) {
    refresh_tables()
    info <- st$rd_info[[pkgdir]]
    if (is.null(info)) {
      f <- file.path(pkgdir, "Meta", "Rd.rds")
      info <- if (file.exists(f)) readRDS(f) else data.frame(File = character(), Title = character())
      info$Name <- sub("\\.[Rr]d$", "", info$File)
      st$rd_info[[pkgdir]] <- info
    }
    info
  }
  rd_title <- function(pkgdir, name) {
    info <- rd_info(pkgdir)
    title <- unname(info$Title[match(name, info$Name)]) # a named vector in some Rd.rds files
    if (length(title) != 1L || is.na(title)) name else title
  }

  # \figure images as data: URLs, since the pane has no server to fetch ../help/figures/ from.
  b64_chars <- strsplit("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", "")[[1L]]
  base64 <- function(bytes) {
    pad <- (3L - length(bytes) %% 3L) %% 3L
    m <- matrix(as.integer(c(bytes, as.raw(rep(0L, pad)))), nrow = 3L)
    x <- m[1L, ] * 65536 + m[2L, ] * 256 + m[3L, ]
    out <- b64_chars[rbind(x %/% 262144, (x %/% 4096) %% 64, (x %/% 64) %% 64, x %% 64) + 1L]
    if (pad) out[length(out) - seq_len(pad) + 1L] <- "="
    paste(out, collapse = "")
  }
  mime <- c(png = "image/png", jpg = "image/jpeg", jpeg = "image/jpeg", gif = "image/gif", svg = "image/svg+xml")
  inline_figures <- function(html, pkgdir) {
    found <- regmatches(html, gregexpr("src=\"\\.\\./help/figures/[^\"]+\"", html))[[1L]]
    for (src in unique(found)) {
      name <- sub("^src=\"\\.\\./help/figures/(.*)\"$", "\\1", src)
      f <- file.path(pkgdir, "help", "figures", basename(name))
      type <- mime[tolower(tools::file_ext(f))]
      if (!file.exists(f) || is.na(type)) next
      data <- sprintf("src=\"data:%s;base64,%s\"", type, base64(readBin(f, "raw", file.size(f))))
      html <- gsub(src, data, html, fixed = TRUE)
    }
    html
  }

  # An Rd page as HTML. path: <library>/<package>/help/<Rd name>, as help() returns it.
  render_rd <- function(path) {
    pkgdir <- dirname(dirname(path))
    pkg <- basename(pkgdir)
    name <- basename(path)
    if (!name %in% rd_info(pkgdir)$Name) {
      stop(sprintf("Package '%s' has no help page '%s'.", pkg, name), call. = FALSE)
    }
    rd <- utils:::.getHelpFile(path)
    out <- tempfile("wdhelp", fileext = ".html")
    on.exit(unlink(out))
    # texmath = "plain": \eqn{latex}{ascii} shows its ascii form (Greek letters as entities),
    # since KaTeX would need a script and a CDN that a text browser can't run offline.
    suppressWarnings(tools::Rd2HTML(rd, out = out, package = pkgdir, Links = link_table(pkgdir),
                                    dynamic = FALSE, texmath = "plain", stylesheet = ""))
    html <- paste(readLines(out, encoding = "UTF-8", warn = FALSE), collapse = "\n")
    html <- gsub("<link [^>]*>|<meta name=\"viewport\"[^>]*>", "", html)
    html <- gsub("(?s)<script[^>]*>.*?</script>", "", html, perl = TRUE)
    html <- inline_figures(html, pkgdir)
    # QTextBrowser sizes tables by attribute, not style, a code block's last newline is a blank line,
    html <- gsub("<table style=\"width: 100%;\">", "<table width=\"100%\">", html, fixed = TRUE)
    html <- gsub("\n</code></pre>", "</code></pre>", html, fixed = TRUE)
    # and pads only table cells: code blocks go in a shaded one-cell table
    html <- gsub("<pre>", "<table class=\"code\" width=\"100%\" cellpadding=\"6\"><tr><td><pre>", html, fixed = TRUE)
    html <- gsub("</pre>", "</pre></td></tr></table>", html, fixed = TRUE)
    page("html", rd_title(pkgdir, name), paste0("help:", pkg, "/", name), html)
  }

  # help() returns html paths when help_type = "html": use the Rd paths.
  help_paths <- function(x) sub("/html/([^/]*)\\.html$", "/help/\\1", as.character(x))

  chooser <- function(topic, paths) {
    pkgdirs <- dirname(dirname(paths))
    names <- basename(paths)
    rows <- vapply(seq_along(paths), function(i) {
      pkg <- basename(pkgdirs[i])
      paste0("<li>", link(file_href(pkg, names[i]), paste0(names[i], " {", pkg, "}")), ": ",
             esc(rd_title(pkgdirs[i], names[i])), "</li>")
    }, "")
    html_page(sprintf("Help on topic '%s'", topic), paste0("help-topic:", topic),
              c(sprintf("<p>Help on topic <code>%s</code> was found in the following packages:</p>", esc(topic)),
                "<ul>", rows, "</ul>"))
  }

  topic_page <- function(topic, paths) {
    paths <- unique(help_paths(paths))
    if (length(paths) == 1L) render_rd(paths) else chooser(topic, paths)
  }

  not_found <- function(topic) {
    c(gettextf("No documentation for %s in specified packages and libraries:", sQuote(topic)),
      gettextf("you could try %s", sQuote(paste0("??", topic))))
  }

  # ------------------------------------------------------------------ search and indexes
  search_page <- function(x) {
    db <- x$matches
    title <- sprintf("Search results for '%s'", x$pattern)
    url <- paste0("help-search:", x$pattern)
    if (NROW(db) == 0L) {
      return(html_page(title, url, sprintf("<p>No help pages found with alias, concept or title matching <code>%s</code>.</p>", esc(x$pattern))))
    }
    body <- character()
    kinds <- c(help = "Help pages", vignette = "Vignettes", demo = "Demos")
    for (type in intersect(names(kinds), unique(db$Type))) {
      d <- db[db$Type == type, , drop = FALSE]
      key <- paste(d$Package, d$Name, sep = "::")
      d <- d[!duplicated(key), , drop = FALSE]
      d <- d[order(d$Package, tolower(d$Topic)), , drop = FALSE]
      rows <- vapply(seq_len(nrow(d)), function(i) {
        target <- if (type == "help") link(file_href(d$Package[i], d$Name[i]), d$Topic[i])
                  else sprintf("<code>%s(\"%s\", package = \"%s\")</code>", type, esc(d$Topic[i]), esc(d$Package[i]))
        paste0("<tr><td>", esc(d$Package[i]), "</td><td>", target, "</td><td>", esc(d$Title[i]), "</td></tr>")
      }, "")
      body <- c(body, sprintf("<h3>%s</h3>", kinds[[type]]),
                "<table class=\"results\"><tr><th>Package</th><th>Topic</th><th>Title</th></tr>", rows, "</table>")
    }
    html_page(title, url, c(sprintf("<p>%d matches for <code>%s</code> in aliases, concepts and titles.</p>",
                                    sum(!duplicated(paste(db$Package, db$Name, db$Type))), esc(x$pattern)), body))
  }

  index_page <- function(pkg) {
    pkgdir <- pkg_dir(pkg)
    pkg <- basename(pkgdir)
    info <- rd_info(pkgdir)
    internal <- vapply(info$Keywords %||% vector("list", nrow(info)), function(k) "internal" %in% k, NA)
    aliases <- if (is.null(info$Aliases)) info$Name else info$Aliases
    topics <- data.frame(
      topic = unlist(aliases[!internal]),
      name = rep(info$Name[!internal], lengths(aliases[!internal])),
      title = rep(info$Title[!internal], lengths(aliases[!internal])),
      stringsAsFactors = FALSE
    )
    topics <- topics[!duplicated(topics$topic), , drop = FALSE]
    topics <- topics[order(tolower(topics$topic), topics$topic), , drop = FALSE]
    desc <- suppressWarnings(utils::packageDescription(pkg, lib.loc = dirname(pkgdir)))
    head <- if (is.list(desc)) {
      c(sprintf("<p><b>%s</b> version %s</p>", esc(desc$Title %||% ""), esc(desc$Version %||% "")),
        if (!is.null(desc$Description)) sprintf("<p>%s</p>", esc(gsub("\\s+", " ", desc$Description))))
    }
    initial <- toupper(substr(topics$topic, 1L, 1L))
    initial[!grepl("^[A-Z]$", initial)] <- "#"
    groups <- unique(initial)
    nav <- paste(vapply(groups, function(g) sprintf("<a href=\"#letter-%s\">%s</a>", if (g == "#") "other" else g, esc(g)), ""),
                 collapse = " ")
    body <- c(head, sprintf("<p class=\"letters\">%s</p>", nav), "<table class=\"index\">")
    for (g in groups) {
      d <- topics[initial == g, , drop = FALSE]
      links <- vapply(seq_len(nrow(d)), function(i) link(file_href(pkg, d$name[i]), d$topic[i]), "")
      body <- c(body, sprintf("<tr><td colspan=\"2\"><h3><a name=\"letter-%s\"></a>%s</h3></td></tr>",
                              if (g == "#") "other" else g, esc(g)),
                sprintf("<tr><td>%s</td><td>%s</td></tr>", links, esc(d$title)))
    }
    body <- c(body, "</table>")
    html_page(sprintf("Package '%s'", pkg), paste0("help-index:", pkg), body)
  }

  # ------------------------------------------------------------------ paged text (file.show)
  read_text <- function(file) {
    bytes <- readBin(file, "raw", max(0, file.size(file), na.rm = TRUE))
    text <- rawToChar(bytes[bytes != as.raw(0L)])
    Encoding(text) <- "UTF-8"
    if (!validUTF8(text)) text <- iconv(rawToChar(bytes[bytes != as.raw(0L)]), "latin1", "UTF-8")
    gsub(".\b", "", text, perl = TRUE) # backspace overstrike (bold X\bX, underline _\bX)
  }
  text_page <- function(files, header, title, delete.file, id) {
    header <- rep_len(enc2utf8(as.character(header)), length(files))
    parts <- vapply(seq_along(files), function(i) {
      text <- if (file.exists(files[i])) read_text(files[i]) else sprintf("(file %s is missing)", files[i])
      if (nzchar(header[i])) paste0(header[i], "\n\n", text) else text
    }, "")
    if (isTRUE(delete.file)) unlink(files)
    title <- enc2utf8(paste(as.character(title), collapse = " "))
    page("text", if (nzchar(title)) title else "R Information", paste0("text:", id), paste(parts, collapse = "\n"))
  }

  # options(pager=): file.show(), data(), demo() and friends page text through it. The text
  # is read now (the files may be temporary) and kept as a finished page.
  tools$.wd.help_pager <- function(files, header = "", title = "R Information", delete.file = FALSE) {
    shown <- text_page(files, header, title, delete.file, st$last + 1L)
    if (isTRUE(st$app)) post(function() shown) else cat(shown$body, if (!endsWith(shown$body, "\n")) "\n", sep = "")
    invisible(NULL)
  }
  # webR's own `pager` messages (from webr::pager_install()) name a file the app shows here.
  tools$.wd.help_pager_page <- function(file, header, title, delete.file) {
    st$last <- st$last + 1L
    text_page(file, header, title, delete.file, st$last)
  }

  # ------------------------------------------------------------------ what the app calls
  tools$.wd.help_topic <- function(topic, package = NULL, search = FALSE) {
    topic <- trimws(enc2utf8(topic))
    parts <- regmatches(topic, regexec("^([A-Za-z][A-Za-z0-9.]*):::?(.+)$", topic))[[1L]]
    if (is.null(package) && length(parts) == 3L) {
      package <- parts[2L]
      topic <- parts[3L]
    }
    if (!is.null(package)) pkg_dir(package)
    args <- list(topic = topic, help_type = "text", try.all.packages = TRUE)
    if (!is.null(package)) args$package <- package
    h <- do.call(utils::help, args)
    if (length(h)) return(topic_page(topic, h))
    if (isTRUE(search)) return(tools$.wd.help_search(topic))
    stop(paste(not_found(topic), collapse = "\n"), call. = FALSE)
  }

  tools$.wd.help_file <- function(package, file) {
    pkgdir <- pkg_dir(package)
    if (identical(file, "00Index")) return(index_page(package))
    if (file %in% rd_info(pkgdir)$Name) return(render_rd(file.path(pkgdir, "help", file)))
    # an old-style link names a topic rather than an Rd file
    h <- utils::help((file), package = (basename(pkgdir)), help_type = "text")
    if (length(h)) return(topic_page(file, h))
    stop(sprintf("Package '%s' has no help page '%s'.", basename(pkgdir), file), call. = FALSE)
  }

  tools$.wd.help_search <- function(query) {
    search_page(utils::help.search(enc2utf8(query)))
  }

  tools$.wd.help_package <- function(pkg) index_page(pkg)

  # The first page of a session pays for the link table and for loading Rd2HTML's own code
  # (~1 s together); the app can have that done while R is idle.
  tools$.wd.help_warmup <- function() {
    render_rd(file.path(pkg_dir("base"), "help", "NULL"))
    invisible(NULL)
  }

  # Every help topic of every installed package, for the search box's completer.
  tools$.wd.help_topics <- function() {
    dirs <- unlist(lapply(.libPaths(), function(lib) list.files(lib, full.names = TRUE)))
    files <- file.path(dirs, "help", "aliases.rds")
    topics <- unlist(lapply(files[file.exists(files)], function(f) names(readRDS(f))))
    sort(unique(topics))
  }

  # ------------------------------------------------------------------ printing help objects
  # Without the app's Help pane (`webr-desktop run`, or before the app attached one) help
  # prints as text on stdout, as Rscript does.
  text_help <- function(topic, paths) {
    paths <- unique(help_paths(paths))
    if (length(paths) > 1L) {
      pkgs <- basename(dirname(dirname(paths)))
      writeLines(c(sprintf("Help on topic '%s' was found in the following packages:", topic),
                   paste0("  ", pkgs), "", "Using the first match ..."))
    }
    tools::Rd2txt(utils:::.getHelpFile(paths[1L]), out = "", package = basename(dirname(dirname(paths[1L]))),
                  options = list(underline_titles = FALSE))
  }
  print_help <- function(x, ...) {
    topic <- attr(x, "topic")
    # R's own words on stdout: no documentation, or (try.all.packages) the packages that have it
    if (!length(x) || isTRUE(attr(x, "tried_all_packages"))) return(st$print_help(x, ...))
    paths <- as.character(x)
    if (isTRUE(st$app)) post(function() topic_page(topic, paths)) else text_help(topic, paths)
    invisible(x)
  }
  print_hsearch <- function(x, ...) {
    # no matches: R's one-line message; no pane: R's text through the pager below
    if (NROW(x$matches) == 0L || !isTRUE(st$app)) return(utils:::printhsearchInternal(x, ...))
    post(function() search_page(x))
    invisible(x)
  }
  print_package_info <- function(x, ...) {
    if (!isTRUE(st$app)) return(st$print_package_info(x, ...))
    pkg <- x$name
    post(function() index_page(pkg))
    invisible(x)
  }
  # base's own method, read directly: getS3method() would load the tools namespace at every R
  # start (~0.1 s of start-up in webR), which help only needs when a page is shown
  st$print_package_info <- get("print.packageInfo", envir = baseenv(), inherits = FALSE)
  st$print_help <- get("print.help_files_with_topic", envir = asNamespace("utils")) # not the registry: ours

  # HelpService calls this at every R start: from then on, help goes to its pane.
  tools$.wd.help_attach <- function() {
    st$app <- TRUE
    invisible(NULL)
  }

  # S3 dispatch from the console looks in the registry before base and skips the search
  # path, so the methods are registered where print's methods live.
  registerS3method("print", "help_files_with_topic", print_help, envir = asNamespace("utils"))
  registerS3method("print", "hsearch", print_hsearch, envir = asNamespace("utils"))
  registerS3method("print", "packageInfo", print_package_info, envir = asNamespace("utils"))
  options(pager = tools$.wd.help_pager, help_type = "text")
})
invisible(NULL)
