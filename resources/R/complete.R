# webR Desktop's code completion: R's own completion engine (the one behind Tab in R's
# terminal, utils:::.completeToken) for the editor and the console. Runs after tools.R.
#
# .wd.complete(line, cursor) completes the token that ends at `cursor` (characters, 0-based,
# as in the editor) in `line`, and answers list(token, start, candidates): candidates replace
# `token`, which starts at character `start` (0-based). An empty token yields nothing, so a
# stray Tab at the start of a line never lists the whole search path.
local({
  tools <- as.environment("tools:webr_desktop")
  MAX <- 500L # candidates sent to the popup at most

  tools$.wd.complete <- function(line, cursor) {
    empty <- list(token = "", start = as.integer(cursor), candidates = character())
    line <- as.character(line)[1L]
    cursor <- max(0L, min(as.integer(cursor), nchar(line)))
    out <- tryCatch({
      utils:::.assignLinebuffer(line)
      utils:::.assignEnd(cursor)
      token <- utils:::.guessTokenFromLine()
      start <- utils:::.CompletionEnv[["start"]]
      if (!nzchar(token)) return(empty)
      utils:::.completeToken(custom = TRUE)
      comps <- utils:::.retrieveCompletions()
      comps <- unique(comps[!is.na(comps) & nzchar(comps)])
      list(token = token, start = as.integer(start), candidates = as.character(utils::head(comps, MAX)))
    }, error = function(e) empty)
    # a one-element character vector would arrive as a scalar; keep it a list for Python
    out$candidates <- as.list(out$candidates)
    out
  }
})
