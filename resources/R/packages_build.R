# webR Desktop: pure-R source packages built inside webR (there is no R CMD INSTALL here: no
# system()). The app hands R the checked source archive (op fetch_source); R unpacks it in its
# own memory, installs it the way tools:::.install_packages does for a package without
# compiled code (DESCRIPTION + Meta/package.rds, collated R code, data, inst, lazy-load
# database, namespace info, help as parsed Rd objects and indices, so ?fn works), packs the
# result as a binary .tgz and gives it back (op install_built): the app checks it like any
# downloaded binary and moves it into the library atomically. Runs after packages.R.
local({
  tools <- as.environment("tools:webr_desktop")
  st <- tools$.wd.pkg
  api <- tools$.wd.pkg_api
  js <- function(x) encodeString(enc2utf8(as.character(x)), quote = "\"")
  pkg_stop <- function(msg) {
    stop(structure(class = c("wdPackageError", "error", "condition"), list(message = msg, call = NULL)))
  }
  WEBR_BINARY_HINT <- paste0("a webR binary can come from https://repo.r-wasm.org or from R-universe ",
                             "(https://<owner>.r-universe.dev)")

  step <- function(what, pkg, expr) {
    tryCatch(expr, error = function(e) {
      pkg_stop(sprintf("building %s from source failed while %s: %s", sQuote(pkg, FALSE), what, conditionMessage(e)))
    })
  }

  # Build the source tree `src` (its DESCRIPTION names `pkg`) into `lib/pkg`.
  build_tree <- function(src, pkg, lib) {
    if (dir.exists(file.path(src, "src")) && length(dir(file.path(src, "src"), all.files = TRUE, no.. = TRUE))) {
      pkg_stop(sprintf("package %s has compiled code (src/), which can't be built inside webR: %s",
                       sQuote(pkg, FALSE), WEBR_BINARY_HINT))
    }
    instdir <- file.path(lib, pkg)
    dir.create(instdir, recursive = TRUE)
    old <- setwd(src)
    on.exit(setwd(old), add = TRUE)
    for (f in c("NAMESPACE", "LICENSE", "LICENCE", "NEWS", "NEWS.md", "README.md")) {
      if (file.exists(f)) file.copy(f, instdir, overwrite = TRUE)
    }
    step("writing its DESCRIPTION", pkg, tools:::.install_package_description(".", instdir))
    if (!file.exists(file.path(instdir, "NAMESPACE"))) {
      if (dir.exists("R")) pkg_stop(sprintf("package %s has R code but no NAMESPACE file", sQuote(pkg, FALSE)))
      writeLines("## package without R code", file.path(instdir, "NAMESPACE"))
    }
    desc <- read.dcf(file.path(instdir, "DESCRIPTION"))[1L, ]
    has_r <- dir.exists("R") && length(dir("R"))
    if (has_r) {
      dir.create(file.path(instdir, "R"), showWarnings = FALSE)
      step("collating its R code", pkg, tools:::.install_package_code_files(".", instdir))
      if (file.exists(f <- file.path("R", "sysdata.rda"))) {
        step("building its sysdata", pkg, tools:::sysdata2LazyLoadDB(f, file.path(instdir, "R")))
      }
    }
    if (dir.exists("data") && length(dir("data"))) {
      dir.create(file.path(instdir, "data"), showWarnings = FALSE)
      file.copy(Sys.glob(file.path("data", "*")), file.path(instdir, "data"), overwrite = TRUE)
      lazy <- tolower(desc["LazyData"]) %in% c("yes", "true")
      if (lazy) step("building its lazy data", pkg, tools:::data2LazyLoadDB(pkg, lib))
    }
    if (dir.exists("inst")) {
      files <- list.files("inst", all.files = TRUE, recursive = TRUE, no.. = TRUE)
      for (f in files) {
        dir.create(dirname(file.path(instdir, f)), recursive = TRUE, showWarnings = FALSE)
        file.copy(file.path("inst", f), file.path(instdir, f), overwrite = TRUE)
      }
    }
    if (file.exists("NAMESPACE")) {
      step("reading its NAMESPACE", pkg, tools:::.install_package_namespace_info(".", instdir))
    }
    if (has_r) {
      if (isNamespaceLoaded(pkg)) try(unloadNamespace(pkg), silent = TRUE)
      step("preparing it for lazy loading", pkg,
           tools:::makeLazyLoading(pkg, lib, keep.source = FALSE, keep.parse.data = FALSE))
    }
    if (dir.exists("man") && length(dir("man"))) {
      enc <- if (is.na(desc["Encoding"])) "unknown" else desc[["Encoding"]]
      step("installing its help pages", pkg, tools:::.install_package_Rd_objects(".", instdir, enc))
      step("writing its help indices", pkg, tools:::.writePkgIndices(".", instdir))
    }
    step("building its indices", pkg, tools:::.install_package_indices(".", instdir))
    instdir
  }

  # Install one plan item of kind "source" (a data frame row): fetch, build, hand back.
  tools$.wd.pkg_build_install <- function(it, repos, quiet) {
    pkg <- it$package
    work <- tempfile("wd-build-")
    dir.create(work)
    on.exit(unlink(work, recursive = TRUE), add = TRUE)
    tarball <- file.path(work, sprintf("%s_%s.tar.gz", pkg, it$version))
    if (!quiet) message(sprintf("trying %s %s (source) from %s", pkg, it$version, it$source))
    body <- sprintf('{"op":"fetch_source","package":%s,"version":%s,"source":%s%s}', js(pkg), js(it$version),
                    js(it$source), if (is.null(repos)) "" else paste0(',"repos":[', paste(js(repos), collapse = ","), "]"))
    err <- webr::eval_js(sprintf("globalThis.__wdPkgs.fetchTo(%s, %s)", js(body), js(tarball)))
    if (nzchar(err)) pkg_stop(err)
    if (!quiet) message(sprintf("* installing *source* package %s ...", sQuote(pkg, FALSE)))
    src_root <- file.path(work, "src")
    files <- tryCatch(utils::untar(tarball, exdir = src_root, tar = "internal"), warning = function(w) w,
                      error = function(e) e)
    if (inherits(files, "condition") || !file.exists(file.path(src_root, pkg, "DESCRIPTION"))) {
      pkg_stop(sprintf("the source archive of %s could not be unpacked", sQuote(pkg, FALSE)))
    }
    lib <- file.path(work, "lib")
    t0 <- proc.time()[["elapsed"]]
    build_tree(file.path(src_root, pkg), pkg, lib)
    built <- file.path(work, sprintf("%s_%s.tgz", pkg, it$version))
    old <- setwd(lib)
    on.exit(setwd(old), add = TRUE, after = FALSE)
    utils::tar(built, files = pkg, compression = "gzip", tar = "internal")
    setwd(old)
    blob <- webr::eval_js(sprintf("globalThis.__wdPkgs.upload(%s)", js(built)))
    if (!nzchar(blob)) pkg_stop(sprintf("could not hand the built %s to the app", sQuote(pkg, FALSE)))
    api("install_built", package = pkg, version = it$version, source = it$source, blob = blob, repos = repos)
    st$last_build_s <- proc.time()[["elapsed"]] - t0
    if (!quiet) message(sprintf("* DONE (%s %s, built in webR)", pkg, it$version))
    invisible(TRUE)
  }
  invisible(NULL)
})
invisible(NULL)
