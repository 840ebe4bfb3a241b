# webR Desktop's Environment pane: one summary row per object of the global environment.
#
# .wd.env_update() is the pane's only R call per refresh. R keeps the values it saw last time
# and answers with the difference, so a workspace of 10,000 unchanged objects costs one
# identical() over two lists (pointer-equal elements compare in O(1)). Runs after tools.R.
#
# Promises and active bindings are never evaluated: values are read with the internal that
# save()/makeLazyLoadDB use, getVarsFromFrame(vars, env, force = FALSE), which hands back an
# unforced promise as a promise object, after bindingIsActive() has set active bindings aside
# (reading those would call them).
local({
  tools <- as.environment("tools:webr_desktop")
  g <- globalenv()
  st <- new.env(parent = emptyenv())
  st$names <- character() # names at the last refresh, in the order of st$vals
  st$vals <- list()       # the values seen then (promises as promise objects)
  st$syms <- list()       # name -> symbol: as.name() for 10,000 names costs ~20 ms in webR
  st$lazy <- character()  # names that were unforced promises (forcing changes them in place)
  tools$.wd.env_state <- st

  ACTIVE <- new.env(parent = emptyenv()) # stands for an active binding's value (by pointer)
  ATOMIC <- c("logical", "integer", "double", "complex", "character", "raw")
  ABBR <- c(logical = "logi", integer = "int", double = "num", complex = "cplx", character = "chr", raw = "raw")
  CLASS <- c(logical = "logical", integer = "integer", double = "numeric", complex = "complex",
             character = "character", raw = "raw")
  WIDTH <- 80L  # longest preview
  SHOWN <- 20L  # elements of a vector ever formatted
  TIMES <- " \u00d7 "

  clip <- function(s, n = WIDTH) {
    s <- gsub("[[:space:]]+", " ", s)
    long <- !is.na(nchar(s, allowNA = TRUE)) & nchar(s, allowNA = TRUE) > n
    s[long] <- paste0(substr(s[long], 1L, n - 1L), "\u2026")
    s
  }

  quote_str <- function(x) {
    long <- !is.na(x) & nchar(x, allowNA = TRUE) > 40L
    long[is.na(long)] <- FALSE
    x[long] <- paste0(substr(x[long], 1L, 39L), "\u2026")
    encodeString(x, quote = "\"")
  }

  # Join formatted elements after a header within WIDTH characters, with " ..." if cut.
  fit <- function(head, vals, more) {
    w <- nchar(vals, allowNA = TRUE)
    w[is.na(w)] <- 4L
    keep <- nchar(head) + cumsum(w + 1L) <= WIDTH - 4L
    cut <- more || !all(keep)
    paste0(head, paste(vals[keep], collapse = " "), if (cut) " ..." else "")
  }

  num_fmt <- function(x) {
    out <- formatC(x, digits = 3L, format = "fg") # 3 significant digits, whole numbers kept
    sci <- is.finite(x) & x != 0 & (abs(x) >= 1e15 | abs(x) < 1e-4)
    out[sci] <- formatC(x[sci], digits = 3L, format = "g")
    trimws(out)
  }

  # Vector elements formatted one by one (not to a common width), as short as they can be.
  fmt_elements <- function(h, type) {
    out <- switch(type,
      double = num_fmt(h),
      complex = as.character(signif(h, 3L)),
      character = quote_str(h),
      as.character(h)
    )
    out[is.na(out)] <- "NA"
    out
  }

  head_of <- function(type, n, d = NULL) {
    if (is.null(d)) sprintf("%s [1:%d] ", ABBR[[type]], n)
    else sprintf("%s [%s] ", ABBR[[type]], paste0("1:", d, collapse = ", "))
  }

  # RStudio's style: "int [1:10] 1 2 3 ...", "num [1:3, 1:4] 0.1 2 ...", "character(0)".
  vec_preview <- function(x) {
    type <- typeof(x)
    n <- length(x)
    d <- dim(x)
    if (n == 0L && is.null(d)) return(paste0(CLASS[[type]], "(0)"))
    k <- min(n, SHOWN)
    h <- as.vector(x[seq_len(k)])
    head <- head_of(type, n, d)
    if (!is.null(names(x))) head <- paste("Named", head)
    fit(head, fmt_elements(h, type), n > k)
  }

  # vec_preview() for many attribute-free vectors at once (10,000 short vectors: ~0.2 s, not 3).
  vec_previews <- function(v, types) {
    len <- lengths(v)
    out <- paste0(CLASS[types], "(0)")
    for (type in unique(types[len > 0L])) {
      i <- which(types == type & len > 0L)
      k <- pmin(len[i], SHOWN)
      flat <- unlist(lapply(v[i], `[`, seq_len(SHOWN)), use.names = FALSE) # padded to SHOWN
      owner <- rep(seq_along(i), each = SHOWN)
      keep <- rep.int(seq_len(SHOWN), length(i)) <= k[owner]
      owner <- owner[keep]
      txt <- fmt_elements(flat[keep], type)
      head <- sprintf("%s [1:%d] ", ABBR[[type]], len[i])
      w <- nchar(txt, allowNA = TRUE)
      w[is.na(w)] <- 4L
      cs <- cumsum(w + 1L)
      before <- c(0L, cs)[match(seq_along(i), owner)] # width of earlier vectors' elements
      fits <- nchar(head)[owner] + cs - before[owner] <= WIDTH - 4L
      joined <- vapply(split(txt[fits], factor(owner[fits], levels = seq_along(i))),
                       paste, "", collapse = " ", USE.NAMES = FALSE)
      cut <- len[i] > k | tabulate(owner[fits], length(i)) < k
      out[i] <- paste0(head, joined, ifelse(cut, " ...", ""))
    }
    out
  }

  # Length-1 attribute-free vectors, formatted together per type: RStudio shows the value.
  scalar_previews <- function(v, types) {
    out <- character(length(v))
    for (type in unique(types)) {
      i <- which(types == type)
      x <- unlist(v[i], use.names = FALSE)
      out[i] <- if (type == "character") quote_str(x) else as.character(x)
    }
    out[is.na(out)] <- "NA"
    out
  }

  factor_preview <- function(x) {
    lv <- levels(x)
    nl <- length(lv)
    sep <- if (is.ordered(x)) "<" else ","
    lvs <- paste(quote_str(lv[seq_len(min(nl, 5L))]), collapse = sep)
    if (nl > 5L) lvs <- paste0(lvs, sep, "..")
    head <- sprintf("%s w/ %d level%s %s: ", if (is.ordered(x)) "Ord.factor" else "Factor",
                    nl, if (nl == 1L) "" else "s", lvs)
    k <- min(length(x), SHOWN)
    codes <- format(as.integer(.subset(x, seq_len(k))), trim = TRUE)
    fit(head, codes, length(x) > k)
  }

  fun_header <- function(f) {
    a <- tryCatch(args(f), error = function(e) NULL)
    if (is.null(a)) return("function (...) ")
    lines <- deparse(a, width.cutoff = 500L)
    paste(sub("^ +", "", lines[-length(lines)]), collapse = "")
  }

  s4_preview <- function(x, cls) {
    if (methods::is(x, "refObjectGenerator")) return(sprintf("Generator for class \"%s\"", x$className))
    if (methods::is(x, "envRefClass")) return(sprintf("Reference class object of class \"%s\"", cls))
    if (is.function(x)) return(fun_header(x))
    n <- length(methods::slotNames(x))
    sprintf("Formal class '%s' with %d slot%s", cls, n, if (n == 1L) "" else "s")
  }

  str_line <- function(x) {
    out <- utils::capture.output(utils::str(x, max.level = 0L, give.attr = FALSE, vec.len = 3L,
                                            nchar.max = 40L, list.len = 3L))
    sub("^ +", "", out[1L])
  }

  # One object: list(class, dims, size, preview, viewable).
  describe <- function(x, type) {
    if (type == "active") return(list("active binding", "", NA_real_, "<active binding>", FALSE))
    if (type == "promise") return(list("promise", "", NA_real_, "<promise>", FALSE))
    # A function the debugger's breakpoints traced: describe what the user wrote.
    if (is.function(x) && isS4(x) && inherits(x, "functionWithTrace")) x <- x@original
    cls <- class(x)[1L]
    size <- tryCatch(as.numeric(utils::object.size(x)), error = function(e) NA_real_)
    if (is.data.frame(x)) {
      nr <- .row_names_info(x, 2L)
      nc <- length(x)
      return(list(cls, paste0(nr, TIMES, nc), size,
                  sprintf("%d obs. of %d variable%s", nr, nc, if (nc == 1L) "" else "s"), TRUE))
    }
    if (isS4(x)) return(list(cls, "", size, s4_preview(x, cls), FALSE))
    if (is.function(x)) return(list(cls, "", size, fun_header(x), FALSE))
    if (is.environment(x)) return(list(cls, "", size, format(x)[1L], FALSE))
    if (is.factor(x)) return(list(cls, as.character(length(x)), size, factor_preview(x), TRUE))
    if (is.null(x)) return(list(cls, "", size, "NULL", FALSE))
    if (is.language(x)) return(list(cls, "", size, deparse(x, width.cutoff = 100L, nlines = 1L)[1L], FALSE))
    d <- dim(x)
    dims <- if (!is.null(d)) paste(d, collapse = TIMES) else as.character(length(x))
    plain <- is.atomic(x) && is.null(oldClass(x)) # matrices, arrays, named vectors
    preview <- if (is.list(x)) {
      sprintf("List of %d", length(x))
    } else if (plain) {
      vec_preview(x)
    } else {
      str_line(x)
    }
    list(cls, dims, size, preview, is.list(x) || is.atomic(x))
  }

  is_forced <- function(p) {
    grepl("[[,]VAL[],]", utils::capture.output(.Internal(inspect(p, 0L, 0L)))[1L])
  }

  # is_forced() for many promises with one sink (the global environment's promises, a frame's
  # arguments at every debugger step): capture.output() costs ~4 ms a call in webR, a bare
  # sink ~0.5 ms.
  forced_all <- function(proms) {
    if (!length(proms)) return(logical())
    tc <- textConnection(NULL, "w", local = TRUE)
    sink(tc)
    done <- FALSE
    on.exit(if (!done) sink())
    # By index: a variable bound to a promise object would force it when read (for (p in ...)).
    for (i in seq_along(proms)) .Internal(inspect(proms[[i]], 0L, 0L))
    sink()
    done <- TRUE
    out <- textConnectionValue(tc)
    close(tc)
    heads <- out[startsWith(out, "@")] # one header line per promise (depth 0)
    if (length(heads) != length(proms)) return(vapply(proms, is_forced, NA, USE.NAMES = FALSE))
    grepl("[[,]VAL[],]", heads)
  }

  # A forced promise is shown as its value; an unforced one stays a promise (never forced
  # here). `lazy`: the indices of the promises left unforced.
  unwrap_promises <- function(vals, types) {
    p <- which(types == "promise")
    forced <- forced_all(vals[p])
    for (i in p[forced]) {
      vals[i] <- list(eval(vals[[i]])) # evaluates nothing: returns the promise's value
      types[i] <- typeof(vals[[i]])
    }
    list(vals = vals, types = types, lazy = p[!forced])
  }

  # object.size() costs ~25 us a call in webR: attribute-free vectors of one type and length
  # (not character: strings differ) all have the same size, so ask once per type and length.
  sizes <- function(v, types, len) {
    out <- numeric(length(v))
    chr <- types == "character"
    out[chr] <- vapply(v[chr], function(x) as.numeric(utils::object.size(x)), 0, USE.NAMES = FALSE)
    key <- paste(types, len)
    first <- which(!chr & !duplicated(key))
    known <- vapply(v[first], function(x) as.numeric(utils::object.size(x)), 0, USE.NAMES = FALSE)
    out[!chr] <- known[match(key[!chr], key[first])]
    out
  }

  # Summary rows for `vals` (their types in `types`) as parallel vectors.
  summarise <- function(nm, vals, types) {
    n <- length(vals)
    cls <- dims <- preview <- character(n)
    size <- rep(NA_real_, n)
    view <- logical(n)
    plain <- types %in% ATOMIC
    plain[plain] <- vapply(vals[plain], function(v) is.null(attributes(v)), NA, USE.NAMES = FALSE)
    p <- which(plain)
    if (length(p)) { # the common case, vectorised: attribute-free atomic vectors
      v <- vals[p]
      tp <- types[p]
      len <- lengths(v)
      cls[p] <- CLASS[tp]
      dims[p] <- as.character(len)
      view[p] <- TRUE
      one <- len == 1L
      size[p] <- sizes(v, tp, len)
      preview[p[one]] <- scalar_previews(v[one], tp[one])
      preview[p[!one]] <- vec_previews(v[!one], tp[!one])
    }
    for (i in which(!plain)) {
      r <- tryCatch(describe(vals[[i]], types[i]), error = function(e) {
        list(types[i], "", NA_real_, paste0("<", conditionMessage(e), ">"), FALSE)
      })
      cls[i] <- r[[1L]]
      dims[i] <- r[[2L]]
      size[i] <- r[[3L]]
      preview[i] <- if (is.na(r[[4L]])) "" else r[[4L]]
      view[i] <- r[[5L]]
    }
    list(name = nm, class = cls, dims = dims, size = size, preview = clip(preview), viewable = view)
  }

  # Indices where two equally long lists differ; halves only the parts that are not identical.
  differ <- function(a, b, offset = 0L) {
    n <- length(a)
    if (n == 0L || identical(a, b)) return(integer())
    if (n <= 16L) {
      same <- vapply(seq_len(n), function(i) identical(a[[i]], b[[i]]), NA)
      return(offset + which(!same))
    }
    h <- n %/% 2L
    lo <- seq_len(h)
    c(differ(a[lo], b[lo], offset), differ(a[-lo], b[-lo], offset + h))
  }

  # The environment's rows that changed since the last call (all of them if `full`).
  tools$.wd.env_update <- function(full = FALSE) {
    t0 <- proc.time()[[3L]]
    nm <- ls(g, sorted = FALSE)
    if (isTRUE(full)) {
      st$names <- character()
      st$vals <- list()
      st$lazy <- character()
    }
    known <- match(nm, names(st$syms))
    syms <- st$syms[known]
    fresh <- which(is.na(known))
    syms[fresh] <- lapply(nm[fresh], as.name)
    names(syms) <- nm
    st$syms <- syms
    active <- vapply(syms, function(s) .Internal(bindingIsActive(s, g)), NA, USE.NAMES = FALSE)
    vals <- vector("list", length(nm))
    if (!all(active)) vals[!active] <- .Internal(getVarsFromFrame(nm[!active], g, FALSE))
    vals[active] <- list(ACTIVE)

    old <- match(nm, st$names)
    seen <- which(!is.na(old))
    changed <- c(which(is.na(old)), seen[differ(vals[seen], st$vals[old[seen]])])
    # A promise that was unforced may have been forced since: the same object, a new state.
    maybe <- setdiff(which(nm %in% st$lazy), changed)
    maybe <- maybe[vapply(vals[maybe], typeof, "", USE.NAMES = FALSE) == "promise"]
    changed <- sort(c(changed, maybe[forced_all(vals[maybe])]))

    cv <- vals[changed]
    types <- vapply(cv, typeof, "", USE.NAMES = FALSE)
    types[active[changed]] <- "active"
    u <- unwrap_promises(cv, types)
    rows <- summarise(nm[changed], u$vals, u$types)

    removed <- setdiff(st$names, nm)
    st$lazy <- c(setdiff(intersect(st$lazy, nm), nm[changed]), nm[changed][u$lazy])
    st$names <- nm
    st$vals <- vals
    list(reset = isTRUE(full), changed = rows, removed = removed,
         ms = 1000 * (proc.time()[[3L]] - t0))
  }

  # Every object of any environment (a debugged function's frame), summarised as the
  # global environment's rows are, with the same never-force rule: the debugger's frames.
  tools$.wd.env_summary <- function(env) {
    nm <- ls(env, all.names = TRUE, sorted = TRUE)
    active <- vapply(nm, function(n) .Internal(bindingIsActive(as.name(n), env)), NA, USE.NAMES = FALSE)
    vals <- vector("list", length(nm))
    if (!all(active)) vals[!active] <- .Internal(getVarsFromFrame(nm[!active], env, FALSE))
    types <- vapply(vals, typeof, "", USE.NAMES = FALSE)
    types[active] <- "active"
    u <- unwrap_promises(vals, types)
    summarise(nm, u$vals, u$types)
  }

  # Remove objects from the global environment by name; returns how many were removed.
  tools$.wd.env_remove <- function(names) {
    names <- intersect(as.character(names), ls(g, all.names = TRUE))
    rm(list = names, envir = g)
    invisible(length(names))
  }

  # Remove every visible object (hidden names stay, as in RStudio's default).
  tools$.wd.env_clear <- function() {
    tools$.wd.env_remove(ls(g))
  }
})
invisible(NULL)
