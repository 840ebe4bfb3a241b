# Runs last at every R start. The app's versions of a few R functions (quit/q, View, traceback,
# download.file, url, socketConnection, readBin/readLines/readChar) replace R's own in R's own namespace and package
# environment, as R allows, instead of masking them from tools:webr_desktop: search() still
# lists tools:webr_desktop (the app's internal .wd.* helpers live there: the one documented
# difference from R), but conflicts(), apropos() and find() look as in R, and utils::View()
# or base::quit() reach the app's versions too. The originals stay in .wd.orig.
local({
  tools <- as.environment("tools:webr_desktop")
  homes <- c(q = "base", quit = "base", url = "base", socketConnection = "base",
             readBin = "base", readLines = "base", readChar = "base",
             download.file = "utils", View = "utils", traceback = "base")
  orig <- if (is.environment(tools$.wd.orig)) tools$.wd.orig else new.env()
  for (name in names(homes)) {
    if (!exists(name, envir = tools, inherits = FALSE)) next
    ns <- asNamespace(homes[[name]])
    if (!exists(name, envir = orig, inherits = FALSE)) assign(name, get(name, envir = ns), envir = orig)
    envs <- list(ns)
    if (homes[[name]] != "base") envs <- c(envs, as.environment(paste0("package:", homes[[name]])))
    f <- get(name, envir = tools)
    for (e in envs) {
      locked <- bindingIsLocked(name, e)
      if (locked) unlockBinding(name, e)
      assign(name, f, envir = e)
      if (locked) lockBinding(name, e)
    }
    rm(list = name, envir = tools)
  }
  tools$.wd.orig <- orig
})
invisible(NULL)
