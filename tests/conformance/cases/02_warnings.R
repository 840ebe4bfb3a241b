# Item 2: warnings go through R's own deferred-warning machinery and printer.
f <- function(x, ...) { warning("careful with ", x); x }
f(1)
warnings()
summary(warnings())
g <- function() for (i in 1:60) warning(paste("number", i))
g()
length(warnings())
h <- function(a_long_argument_name, another_long_argument_name, yet_another_argument) warning("a message long enough to wrap the line that R prints for it")
h(1, 2, 3)
options(warn = 1)
f(2)
options(warn = 0)
k <- function() { warning("first"); stop("then an error") }
k()
