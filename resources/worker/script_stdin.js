// Runs INSIDE the webR worker of `webr-desktop run` (and of the conformance tests' raw-webR
// runner). Makes R read its script from standard input as Rscript does: webR started
// non-interactive runs R's own REPL, which reads lines with fgets(stdin) (no prompts, no echo
// with --no-echo), but webR's stdin device reads nothing in a worker. Here each stdin read
// takes the next line sent with webR.writeConsole() (webR's own input queue, which also
// serves evals while it waits). The line EOF_MARK is end of input: R meets end of file at the
// end of the script exactly as Rscript does. __wdScript.exit() is called by R's exit
// finalizer (R_CleanUp: end of input, "Execution halted" after an error): it flushes R's
// output, posts `wd-script-exit` with the status, and serves evals (the runner exports the
// plots) until the runner sends RELEASE_MARK; then R ends.
(() => {
  if (globalThis.__wdScript) return 0;
  const EOF_MARK = '\u0004';
  const RELEASE_MARK = '\u0004\u0004';
  const stream = FS.getStream(0);
  const tty = stream && stream.tty;
  if (!tty) return 0;
  const enc = new TextEncoder();
  const state = { eof: false, bytes: [], lineEnded: false };
  const nextLine = () => {
    const ptr = Module.webr.readConsole();
    const line = Module.UTF8ToString(ptr);
    Module._free(ptr);
    return line.endsWith('\n') ? line.slice(0, -1) : line;
  };
  const flush = (fd) => {
    const s = FS.getStream(fd);
    const t = s && s.tty;
    if (t && t.output && t.output.length > 0) t.ops.fsync(t);
  };
  tty.ops = Object.assign({}, tty.ops, {
    // Emscripten's TTY read() calls get_char until it returns null (end of file) or
    // undefined (nothing more now); one read() returns one line, so fgets never waits for
    // a line the script has not reached.
    get_char() {
      if (state.bytes.length === 0) {
        if (state.lineEnded) {
          state.lineEnded = false;
          return undefined;
        }
        if (state.eof) return null;
        const line = nextLine();
        if (line === EOF_MARK) {
          state.eof = true;
          return null;
        }
        state.bytes = Array.from(enc.encode(line + '\n'));
      }
      const b = state.bytes.shift();
      if (state.bytes.length === 0) state.lineEnded = true;
      return b;
    },
  });
  // R's halt after an error prints "Execution halted" last on stderr: it tells that exit
  // (status 1) from the end of input, even when the error was met at the end of input.
  const errTty = FS.getStream(2) && FS.getStream(2).tty;
  let errLine = [];
  let lastErrLine = '';
  if (errTty) {
    const putChar = errTty.ops.put_char;
    errTty.ops = Object.assign({}, errTty.ops, {
      put_char(t, val) {
        if (val === null || val === 10) {
          lastErrLine = String.fromCharCode(...errLine);
          errLine = [];
        } else if (errLine.length < 64) {
          errLine.push(val);
        }
        return putChar(t, val);
      },
    });
  }
  globalThis.__wdScript = {
    flush() {
      flush(1);
      flush(2);
      return 0;
    },
    // status: quit(status =)'s, or -1: 0 after end of input, 1 after "Execution halted".
    exit(wait, status, files = []) {
      flush(1);
      flush(2);
      const halted = lastErrLine === 'Execution halted';
      const code = Number.isInteger(status) && status >= 0 ? status : state.eof && !halted ? 0 : 1;
      Module.webr.channel.write({ type: 'wd-script-exit', data: { status: code, files } });
      // The script's unread lines (after an error) are dropped; RELEASE_MARK lets R end.
      if (wait) while (nextLine() !== RELEASE_MARK) { /* evals and file reads are served */ }
      return 0;
    },
  };
  return 0;
})();
0;
