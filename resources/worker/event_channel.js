// Runs INSIDE the webR worker (webr::eval_js at every R start, before the network snippets).
// Mends two races in webR 0.6.0's SharedArrayBuffer channel, where events from the page
// (WebSocket messages, interrupts) wait in a queue on the page and a shared flag says "some
// are queued". The worker's handleEvents drains the queue while the flag is set:
// 1. Lost wake-up: it clears the flag *after* the queue reads empty, so an event queued in
//    between waits, flag clear, until some later event: a socket read then hangs although
//    its last bytes have arrived (seen under load: all of a 5 MB echo on the page, R waiting).
//    Fix: while a WebSocket is open, drain now and then even with the flag clear
//    (`__wdEvents.pump(ms)`); a drain that finds nothing costs one round trip to the page.
// 2. Reordering: while one request for an event waits (over 50 ms on a loaded page), webR
//    runs handleEvents again from inside that wait; the nested drain delivers the *later*
//    events first, so a socket's bytes could arrive out of order (read from webR's code; we
//    counted 1-2 such nested drains per 30 echoes of 5 MB under load, no corruption seen
//    yet). Fix: handleEvents doesn't nest; the outer drain goes on in order.
(() => {
  const chan = Module.webr.channel;
  if (globalThis.__wdEvents || !chan || !chan.ws) return 0; // PostMessage channel: nothing to mend
  const handle = chan.handleEvents;
  // The flag's buffer goes to the page once, at start ("resolve"); ask for that message again
  // to see the buffer (the page re-wraps the same buffer and its init promise is settled).
  let flag = null;
  const write = chan.write;
  chan.write = function (msg, transfer) {
    if (msg && msg.type === 'resolve') flag = new Int32Array(msg.data);
    return write.call(this, msg, transfer);
  };
  try {
    chan.resolve();
  } finally {
    delete chan.write; // own property gone: the class's write again
  }
  if (!flag) return 0;
  let draining = false;
  let lastForced = 0;
  const drain = (everyMs) => {
    if (draining) return;
    const now = performance.now();
    if (chan.ws.size && now - lastForced >= everyMs) {
      lastForced = now;
      Atomics.store(flag, 0, 1);
    }
    draining = true;
    try {
      handle.call(chan);
    } finally {
      draining = false;
    }
  };
  const BACKGROUND_MS = 50; // R's own event polls, e.g. a Sys.sleep() loop on a socket
  chan.handleEvents = () => drain(BACKGROUND_MS);
  globalThis.__wdEvents = { pump: drain };
  return 0;
})();
0;
