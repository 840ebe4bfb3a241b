// Runs INSIDE the webR worker (webr::eval_js at every R start).
// Mends the memory of webR 0.6.0's canvas device (webr::canvas). Its C code (packages/webr/src/
// canvas.c in r-wasm/webr) ends every low-level drawing call (each points(), lines(), text()
// ...) with `offscreen.transferToImageBitmap()` and posts that ImageBitmap (the new layer,
// 4 MB at 1008x1008) to the page. The renderer never gives that memory back, even after the
// page closes the bitmap: measured here, 300 points() calls grew the renderer by 1.2 GB and
// demo(hclColors) by 16 GB (a raw webR page does the same). The worker never returns to its
// event loop (R runs, or waits for input in Atomics.wait), and a transferred bitmap's backing
// store seems to need it to be freed; bitmaps closed inside the worker are freed (checked).
// The cost per call is also high: a fresh 4 MB backing store per call.
//
// The mend: for the devices that post to the page (not webR's capture devices), the transfer
// is skipped, so the drawing stays on the device's OffscreenCanvas, and the whole page is sent
// as plain pixels (`canvasPixels`: an ArrayBuffer, transferred, freed by the page's GC):
//   - before R waits (a prompt, an eval's response, a read for input, R's end),
//   - before the page is cleared for a new page and before the device is closed,
//   - while R draws for long, at most every PROGRESS_MS (also from R's event polls).
// The page (resources/page/plots.js) puts the pixels on its copy of the page.
(() => {
  const webr = Module.webr;
  const chan = webr.channel;
  if (webr.__wdCanvasMend || typeof OffscreenCanvas === 'undefined' || !chan) return 0;
  // While R draws for long, the page is sent this often (each send costs the page a PNG
  // encode and Python a decode and paint, which compete with R on a busy machine).
  const PROGRESS_MS = 500;
  const LAYER = Object.freeze({ close() {} }); // stands in for the skipped ImageBitmap
  const dirty = new Map(); // device id -> performance.now() of its first unsent drawing

  // The device id of an OffscreenCanvas / 2D context that posts to the page, else null.
  const deviceOf = (key, value) => {
    const devices = webr.canvas;
    for (const id of Object.keys(devices)) {
      const dev = devices[id];
      if (dev && !dev.capture && dev[key] === value) return id;
    }
    return null;
  };

  const send = (id) => {
    dirty.delete(id);
    const dev = webr.canvas[id];
    if (!dev || !dev.offscreen) return;
    const { width, height } = dev.offscreen;
    if (!width || !height) return;
    try {
      const pixels = dev.ctx.getImageData(0, 0, width, height).data.buffer;
      write.call(chan, {
        type: 'canvas',
        data: { event: 'canvasPixels', id: Number(id), width, height, pixels },
      }, [pixels]);
    } catch (err) {
      // Never into R's drawing call (a JS error there aborts it): the page misses one update.
      console.error('webr-desktop canvas mend:', err && err.message ? err.message : String(err));
    }
  };
  const sendAll = () => {
    for (const id of [...dirty.keys()]) send(id);
  };
  const sendDue = () => {
    const now = performance.now();
    for (const [id, since] of [...dirty]) {
      if (now - since >= PROGRESS_MS) send(id);
    }
  };

  const proto = OffscreenCanvas.prototype;
  // The device's context is made by webR's C code: ask for one kept in memory, as it is read
  // back often (else Chromium says so on the console and reads back slower).
  const getContext = proto.getContext;
  proto.getContext = function (kind, options) {
    if (kind === '2d') return getContext.call(this, kind, { willReadFrequently: true, ...options });
    return getContext.call(this, kind, options);
  };
  const transfer = proto.transferToImageBitmap;
  proto.transferToImageBitmap = function () {
    const id = deviceOf('offscreen', this);
    if (id === null) return transfer.call(this);
    if (!dirty.has(id)) dirty.set(id, performance.now());
    return LAYER;
  };

  const ctxProto = OffscreenCanvasRenderingContext2D.prototype;
  const clearRect = ctxProto.clearRect;
  ctxProto.clearRect = function (...args) {
    if (dirty.size) {
      const id = deviceOf('ctx', this);
      if (id !== null && dirty.has(id)) send(id); // the finished page, before it is wiped
    }
    return clearRect.apply(this, args);
  };

  // dev.off() deletes the device's entry; webr::canvas_purge() replaces the whole object.
  const guard = (obj) => new Proxy(obj, {
    deleteProperty(target, key) {
      if (dirty.has(key)) send(key);
      return delete target[key];
    },
  });
  let devices = guard(webr.canvas || {});
  Object.defineProperty(webr, 'canvas', {
    configurable: true,
    get: () => devices,
    set: (value) => {
      sendAll();
      devices = guard(value || {});
    },
  });

  const FLUSH_BEFORE = new Set(['prompt', 'response', 'closed']);
  const write = chan.write;
  chan.write = function (msg, transferList) {
    if (msg && msg.type === 'canvas' && msg.data && msg.data.image === LAYER) {
      sendDue();
      return undefined;
    }
    if (dirty.size && msg && FLUSH_BEFORE.has(msg.type)) sendAll();
    return write.call(this, msg, transferList);
  };
  if (typeof chan.syncRequest === 'function') {
    const syncRequest = chan.syncRequest;
    chan.syncRequest = function (msg, transferList) {
      if (dirty.size && msg && msg.type === 'read') sendAll(); // R waits for input
      return syncRequest.call(this, msg, transferList);
    };
  }
  const handleEvents = chan.handleEvents;
  chan.handleEvents = function (...args) {
    if (dirty.size) sendDue(); // R polls events while it computes or sleeps
    return handleEvents.apply(this, args);
  };
  webr.__wdCanvasMend = true;
  return 0;
})();
0;
