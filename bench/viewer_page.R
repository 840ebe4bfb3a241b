# A widget-like page for bench/viewer.py: index.html plus 10 dependency files, 2 MB in all.
.bench_page <- function(folder) {
  d <- file.path(tempdir(), folder)
  dir.create(file.path(d, "lib"), recursive = TRUE, showWarnings = FALSE)
  blob <- paste(rep("0123456789abcdef", 200 * 1024 / 16), collapse = "")
  scripts <- character()
  for (i in 1:8) {
    f <- sprintf("lib/dep%d.js", i)
    writeLines(sprintf("window.dep%d = '%s'.length;", i, blob), file.path(d, f))
    scripts <- c(scripts, sprintf("<script src='%s'></script>", f))
  }
  writeLines(sprintf("body { font-family: sans-serif; } /* %s */", blob), file.path(d, "lib/style.css"))
  # The tenth file: marks the first frame after load, which the benchmark waits for.
  writeLines("addEventListener('load', () => requestAnimationFrame(() => { window.__painted = true; }));",
             file.path(d, "lib/paint.js"))
  scripts <- c(scripts, "<script src='lib/paint.js'></script>")
  rows <- paste(sprintf("<tr><td>%d</td><td>%s</td></tr>", 1:8000, "value"), collapse = "")
  writeLines(c("<!DOCTYPE html><html><head><link rel='stylesheet' href='lib/style.css'>", scripts,
               "</head><body><h1>Widget</h1><table>", rows, "</table></body></html>"), file.path(d, "index.html"))
  invisible(d)
}
