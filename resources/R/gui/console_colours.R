# The IDE's console renders ANSI colours (16, 256 and true colour), bold, italic, underline,
# OSC 8 links and \r redraws, as RStudio's and Positron's do: say so to crayon and cli.
# GUI only: `webr-desktop run` writes plain text, like Rscript into a pipe.
local({
  options(
    crayon.enabled = TRUE, crayon.colors = 256L, crayon.hyperlink = TRUE,
    cli.num_colors = 256L, cli.dynamic = TRUE,
    cli.hyperlink = TRUE, cli.hyperlink_help = TRUE, cli.hyperlink_run = TRUE,
    cli.hyperlink_vignette = TRUE
  )
  Sys.setenv(COLORTERM = "truecolor")
})
invisible(NULL)
