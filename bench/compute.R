# The fixed compute workload of bench/compute.py (issue 18 item 4), run unchanged in the app's
# R, in raw webR under Node (bench/compute_node.mjs) and in native Rscript when there is one.
# Each task is timed inside R (system.time(), elapsed seconds; it runs gc() first), so the
# figure is R's compute alone, whatever carries the command there. Everything lives in one
# dotted object, hidden from the Environment pane; inputs are made outside the timed part.
.wd_compute <- local({
  fib <- function(n) if (n < 2) n else fib(n - 1) + fib(n - 2)

  tasks <- list(
    # a byte-compiled scalar loop: the interpreter's per-operation cost
    loop = function(env) {
      s <- 0
      for (i in 1:5e6) s <- s + i * 0.5
      s
    },
    # deep recursion: closure calls (about 92,735 of them for fib(23))
    fib = function(env) fib(23),
    # 20 vectorised ops on 1e6 doubles: memory bandwidth and libm
    vector = function(env) {
      x <- env$x
      y <- x * 2; y <- y + 1; y <- y / 3; y <- y - x; y <- sqrt(abs(y))
      y <- exp(-y); y <- log1p(y); y <- sin(y); y <- cos(y); y <- y^2
      y <- pmax(y, 0.1); y <- pmin(y, 0.9); y <- cumsum(y); y <- rev(y); y <- diff(y)
      y <- round(y, 3); y <- y > 0; y <- which(y); y <- as.double(y); sum(y)
    },
    # a 500 x 500 matrix product through webR's reference BLAS
    matmul = function(env) env$m %*% env$m,
    # 20 linear model fits, 5,000 rows x 3 predictors
    lm = function(env) {
      for (k in 1:20) fit <- lm(y ~ x1 + x2 + x3, data = env$lmdata)
      coef(fit)
    },
    # sort 2e6 doubles (a copy; the input stays unsorted)
    sort = function(env) sort(env$unsorted),
    # build a 1e6-row data frame, then summarise it by group
    dataframe = function(env) {
      n <- 1e6
      df <- data.frame(id = seq_len(n), g = factor(sample(letters, n, TRUE)),
                       x = rnorm(n), y = runif(n))
      df$z <- df$x * df$y
      list(summary(df), aggregate(cbind(x, z) ~ g, data = df, FUN = mean),
           tapply(df$y, df$g, median))
    }
  )

  inputs <- function() {
    set.seed(18)
    env <- new.env()
    env$x <- runif(1e6)
    env$m <- matrix(runif(500 * 500), 500)
    env$lmdata <- data.frame(x1 = rnorm(5000), x2 = rnorm(5000), x3 = rnorm(5000))
    env$lmdata$y <- with(env$lmdata, 1 + 2 * x1 - x2 + 0.5 * x3 + rnorm(5000))
    env$unsorted <- runif(2e6)
    env
  }
  env <- NULL

  # One task, timed; prints one line "wd-compute <task> <seconds>" for the caller to read.
  run <- function(task) {
    if (is.null(env)) env <<- inputs()
    set.seed(23)
    elapsed <- system.time(tasks[[task]](env))[["elapsed"]]
    cat(sprintf("wd-compute %s %.6f\n", task, elapsed))
    invisible(elapsed)
  }
  # What the run was made in, to check both sides are the same R.
  about <- function() {
    cat(sprintf("wd-compute-about %s|jit=%d|%s\n", R.version.string,
                compiler::enableJIT(-1L), R.version$platform))
  }
  list(tasks = names(tasks), run = run, about = about)
})
