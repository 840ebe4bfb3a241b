# Item 8 (files in the working directory; the mounted-folder case is in test_cli).
writeLines("1", "s.R")
basename(normalizePath("s.R", mustWork = TRUE))
basename(tools::file_path_as_absolute("s.R"))
class(data())
unlink("s.R")
