# Item 7: a message sink stays where the user put it.
zz <- textConnection("msgs", "w")
sink(zz, type = "message")
message("to the sink")
1 + 1
message("still to the sink")
sink(type = "message")
close(zz)
msgs
message("to stderr again")
