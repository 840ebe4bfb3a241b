// Runs INSIDE the webR worker (sent with webr::eval_js at every R start).
// webR's stdout/stderr TTYs only emit complete lines, so `cat("55")` or a `cat("Name: ")`
// before readline() would stay invisible until some later newline. Flush both TTYs right
// before R shows a prompt, so everything R printed is on screen when it waits for input.
(() => {
  const webr = Module.webr;
  if (webr.__wdFlushAtPrompt) return 0;
  const flush = (fd) => {
    const stream = FS.getStream(fd);
    const tty = stream && stream.tty;
    if (tty && tty.output && tty.output.length > 0) tty.ops.fsync(tty);
  };
  const setPrompt = webr.setPrompt;
  webr.setPrompt = (prompt) => {
    flush(1);
    flush(2);
    setPrompt(prompt);
  };
  webr.__wdFlushAtPrompt = true;
  return 0;
})();
0;
