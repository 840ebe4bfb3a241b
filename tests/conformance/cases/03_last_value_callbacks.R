# Item 3: .Last.value per top-level expression; task callbacks after each one.
1 + 1
.Last.value * 10
x <- "assigned"
.Last.value
n <- 0
id <- addTaskCallback(function(expr, value, ok, visible) { n <<- n + 1; cat("callback", n, deparse(expr)[1], "\n"); TRUE })
y <- 2
y * 3
removeTaskCallback(id)
n
