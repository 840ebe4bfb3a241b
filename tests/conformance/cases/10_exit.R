# Exit status and .Last with quit(status =).
.Last <- function() cat(".Last ran\n")
cat("before\n")
quit(status = 3)
cat("not reached\n")
