// Turns webR's canvas messages into one finished PNG per plot page update.
// webR sends `canvasNewPage` then one ImageBitmap per drawing batch, each holding only the new
// layer (2x the device size), so layers are composited in order on a canvas per page. The
// app's worker mend (resources/worker/canvas_mend.js) sends whole pages instead, as pixels
// (`canvasPixels`): webR's per-call bitmaps are never freed by the renderer. R announces the
// app's entry id of the next page with a `wd-plot` message just before the device starts it;
// pages without one (a device the user opened) get entry null.
// A page is sent when it is finished (a new page on its device), at a prompt, or after a
// short idle, never once per layer.
// The canvases live in a dedicated worker (plot_worker.js) that composites and encodes: on the
// page's main thread Blink encodes a PNG only in an idle period, which a busy machine gives
// the renderer ~1 s late. This side keeps the bookkeeping (pages, markers, timers, order).

const IDLE_MS = 40; // no new layer for this long: send what we have
const MAX_LATENCY_MS = 250; // a page drawing for longer still shows progress this often
const MAX_PAGES = 8; // devices whose page we keep (the longest-open pages are dropped first)

/** The page's side of plot_worker.js: layers go in, encoded pages come back by sequence. */
export class PlotEncoder {
  constructor(url = new URL('plot_worker.js', import.meta.url)) {
    this.worker = new Worker(url);
    this.pending = new Map(); // seq -> {resolve, reject}
    this.nextSeq = 1;
    this.worker.onmessage = (ev) => {
      const reply = ev.data;
      const waiter = this.pending.get(reply.seq);
      if (!waiter) return;
      this.pending.delete(reply.seq);
      if (reply.ok) waiter.resolve(reply);
      else waiter.reject(new Error(reply.error));
    };
    // A worker that failed to load or threw: every encode waiting on it fails with the reason.
    this.worker.onerror = (ev) => {
      const error = new Error(`plot worker failed: ${ev.message || 'could not start'}`);
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
  }

  /** Draw an ImageBitmap over page `key` (the bitmap is transferred, not copied). */
  layer(key, image) {
    this.worker.postMessage({ op: 'layer', key, image }, [image]);
  }

  /** Replace page `key` with whole-page RGBA pixels (the ArrayBuffer is transferred). */
  pixels(key, width, height, pixels) {
    this.worker.postMessage({ op: 'pixels', key, width, height, pixels }, [pixels]);
  }

  /** Encode page `key` with the layers sent so far: {png (base64), width, height}. */
  encode(key) {
    const seq = this.nextSeq++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage({ op: 'encode', key, seq });
    });
  }

  drop(key) {
    this.worker.postMessage({ op: 'drop', key });
  }
}

export class PlotCompositor {
  /**
   * @param {(msg: object) => void} emit receives {type: 'plot', data: {...}} messages in order
   * @param {PlotEncoder} encoder composites and encodes the pages
   */
  constructor(emit, encoder = new PlotEncoder()) {
    this.emit = emit;
    this.encoder = encoder;
    this.pages = new Map(); // canvas device id -> page
    this.markers = [];
    this.nextKey = 1;
    this.timer = null;
    this.firstDirty = 0;
    this.chain = Promise.resolve(); // keeps sends in order
  }

  /** R's announcement of the next page's entry: {entry, replace}. */
  marker(data) {
    const entry = Number.isInteger(data?.entry) ? data.entry : null;
    this.markers.push({ entry, replace: data?.replace === true });
  }

  canvas(data) {
    const id = data?.id;
    if (data?.event === 'canvasNewPage') {
      const prev = this.pages.get(id);
      if (prev && prev.dirty) this.send(prev); // finished: it will not change any more
      if (prev) this.encoder.drop(prev.key);
      this.pages.delete(id);
      this.pages.set(id, this.newPage(this.markers.shift()));
      this.trim();
    } else if (data?.event === 'canvasPixels' && data.pixels instanceof ArrayBuffer) {
      const { width, height, pixels } = data; // the whole page: it replaces what we had
      if (!(width > 0 && height > 0) || pixels.byteLength !== 4 * width * height) return;
      const page = this.pageOf(id);
      this.encoder.pixels(page.key, width, height, pixels);
      this.touched(page);
    } else if (data?.event === 'canvasImage' && data.image) {
      const page = this.pageOf(id);
      this.encoder.layer(page.key, data.image);
      this.touched(page);
    }
  }

  /** The page on device `id` (a device the app did not announce gets one now). */
  pageOf(id) {
    let page = this.pages.get(id);
    if (!page) {
      page = this.newPage(undefined);
      this.pages.set(id, page);
      this.trim();
    }
    return page;
  }

  /** Page `page` changed: send it after a short idle (or the latency bound). */
  touched(page) {
    if (!page.dirty) {
      page.dirty = true;
      if (this.firstDirty === 0) this.firstDirty = performance.now();
    }
    this.schedule();
  }

  newPage(marker) {
    return {
      key: this.nextKey++,
      entry: marker ? marker.entry : null,
      replace: marker ? marker.replace : false,
      dirty: false,
    };
  }

  trim() {
    while (this.pages.size > MAX_PAGES) {
      const [oldest, page] = this.pages.entries().next().value;
      if (page.dirty) this.send(page);
      this.encoder.drop(page.key);
      this.pages.delete(oldest);
    }
  }

  schedule() {
    if (this.timer !== null) clearTimeout(this.timer);
    const waited = performance.now() - this.firstDirty;
    this.timer = setTimeout(() => this.flush(), waited >= MAX_LATENCY_MS ? 0 : IDLE_MS);
  }

  /** Send every page with unsent layers; resolves once they are all emitted. */
  flush() {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    for (const page of this.pages.values()) {
      if (page.dirty) this.send(page);
    }
    this.firstDirty = 0;
    return this.chain;
  }

  /** At a prompt: announcements nobody used (a plot.new() that failed early) are stale. */
  dropMarkers() {
    this.markers = [];
  }

  send(page) {
    page.dirty = false;
    const { key, entry, replace } = page;
    // Asked now, in order: a later layer must not be captured in an earlier send.
    const encoded = this.encoder.encode(key);
    encoded.catch(() => {}); // handled in turn below, not an unhandled rejection meanwhile
    this.chain = this.chain.then(async () => {
      try {
        const { png, width, height } = await encoded;
        this.emit({ type: 'plot', data: { key, entry, replace, width, height, png } });
      } catch (err) {
        console.error('plot encoding failed:', err && err.message ? err.message : String(err));
      }
    });
  }
}
