// Test helper, run in the webR worker: reproduce the race event_channel.js mends. Wait until
// the page has queued an event (webR's shared "queued" flag set), then clear the flag without
// draining, as webR's handleEvents does when an event lands between its last read and its
// clearing of the flag. Returns 1 if an event was queued and its wake-up is now lost.
(() => {
  const chan = Module.webr.channel;
  let flag = null;
  chan.write = function (msg, transfer) {
    if (msg && msg.type === 'resolve') flag = new Int32Array(msg.data);
    return Object.getPrototypeOf(this).write.call(this, msg, transfer);
  };
  try {
    chan.resolve();
  } finally {
    delete chan.write;
  }
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const end = performance.now() + 5000;
  while (Atomics.load(flag, 0) === 0 && performance.now() < end) Atomics.wait(nap, 0, 0, 1);
  const queued = Atomics.load(flag, 0);
  Atomics.store(flag, 0, 0);
  return queued;
})();
