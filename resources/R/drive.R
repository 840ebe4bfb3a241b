# webR Desktop's host folders: each one is a webR DRIVEFS mount answered by the app's loopback
# server (webr_desktop/server/drive.py). Runs at every R start, after tools.R; the app calls
# .wd.drive_mount() for each folder once R is up (again after a restart: mounts die with R).
#
# Emscripten caches every file-system node it has looked up, so a file deleted, renamed or
# created on the host would stay invisible (or stale) to R. After every top-level command the
# cached nodes of all mounts are dropped (.wd.drive_evict), so the next command sees the host.
local({
  tools <- as.environment("tools:webr_desktop")
  st <- new.env(parent = emptyenv())
  st$mounts <- character() # mount points, as given to webr::mount
  tools$.wd.drive <- st

  EVICT_JS <- paste(
    "(() => { let n = 0;",
    "for (const f of Object.values(globalThis.__wdDriveEvict ?? {})) n += f();",
    "return n; })()"
  )

  js_string <- function(x) encodeString(enc2utf8(x), quote = "\"")

  # Mount host drive `drive` (a DriveFS name from the app) at `mountpoint` in webR's file
  # system, then patch the mount in the worker (resources/worker/drivefs_patch.js).
  tools$.wd.drive_mount <- function(mountpoint, drive, secret, patch_js) {
    if (mountpoint %in% st$mounts) return(invisible(mountpoint))
    dir.create(mountpoint, recursive = TRUE, showWarnings = FALSE)
    options(webr.drivefs.browsingContextId = secret)
    webr::mount(mountpoint, source = drive, type = "DRIVEFS")
    st$mounts <- c(st$mounts, mountpoint)
    webr::eval_js(paste0(patch_js, "(", js_string(mountpoint), ");\n0;"))
    invisible(mountpoint)
  }

  # Forget what the worker cached about every mount; returns the number of nodes dropped.
  tools$.wd.drive_evict <- function() {
    if (!length(st$mounts)) return(invisible(0L))
    invisible(as.integer(webr::eval_js(EVICT_JS)))
  }

  if ("wd-drive-evict" %in% getTaskCallbackNames()) removeTaskCallback("wd-drive-evict")
  addTaskCallback(function(...) {
    tools$.wd.drive_evict()
    TRUE # keep the callback
  }, name = "wd-drive-evict")
  invisible(NULL)
})
