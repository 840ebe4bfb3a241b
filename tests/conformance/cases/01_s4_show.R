# Item 1: S4 objects auto-print with show(), as R's REPL does.
setClass("myFrame", representation(label = "character"), contains = "data.frame")
new("myFrame", data.frame(a = 1:2), label = "x")
setClass("P", representation(x = "numeric"))
setMethod("show", "P", function(object) cat("<P with", length(object@x), "values>\n"))
p <- new("P", x = 1:3)
p
print(p)
list(p)
invisible(p)
(p)
