# Item 5: non-interactive like Rscript.
interactive()
answer <- readline("Your name? ")
nchar(answer)
readLines(textConnection("a\nb"))
menu(c("yes", "no"))
cat("not reached\n")
