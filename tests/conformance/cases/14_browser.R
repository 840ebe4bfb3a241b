# browser() in a script under `run`: R reads the script's next lines as browser commands (as
# Rscript and R -f do), then steps on at the end of input. The app's debugger stays out of it.
f <- function(x) {
  browser()
  y <- x + 1
  y
}
print(f(1))
print("after")
