// Turns webR's canvas messages into one finished PNG per plot page update.
// webR sends `canvasNewPage` then one ImageBitmap per drawing batch, each holding only the new
// layer (2x the device size), so layers are composited in order on an OffscreenCanvas per
// device. The app's worker mend (resources/worker/canvas_mend.js) sends whole pages instead,
// as pixels (`canvasPixels`): webR's per-call bitmaps are never freed by the renderer. R announces the app's entry id of the next page with a `wd-plot` message just before
// the device starts it; pages without one (a device the user opened) get entry null.
// A page is sent when it is finished (a new page on its device), at a prompt, or after a
// short idle, never once per layer.

const IDLE_MS = 40; // no new layer for this long: send what we have
const MAX_LATENCY_MS = 250; // a page drawing for longer still shows progress this often
const MAX_PAGES = 8; // devices whose page we keep (the longest-open pages are dropped first)

async function pngBase64(canvas) {
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK));
  }
  return btoa(text);
}

export class PlotCompositor {
  /** @param {(msg: object) => void} emit receives {type: 'plot', data: {...}} messages in order */
  constructor(emit) {
    this.emit = emit;
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
      this.pages.delete(id);
      this.pages.set(id, this.newPage(this.markers.shift()));
      this.trim();
    } else if (data?.event === 'canvasPixels' && data.pixels instanceof ArrayBuffer) {
      const { width, height, pixels } = data; // the whole page: it replaces what we had
      if (!(width > 0 && height > 0) || pixels.byteLength !== 4 * width * height) return;
      let page = this.pages.get(id);
      if (!page) {
        page = this.newPage(undefined);
        this.pages.set(id, page);
        this.trim();
      }
      if (!page.canvas) {
        page.canvas = new OffscreenCanvas(width, height);
        page.ctx = page.canvas.getContext('2d');
      }
      page.ctx.putImageData(new ImageData(new Uint8ClampedArray(pixels), width, height), 0, 0);
      if (!page.dirty) {
        page.dirty = true;
        if (this.firstDirty === 0) this.firstDirty = performance.now();
      }
      this.schedule();
    } else if (data?.event === 'canvasImage' && data.image) {
      let page = this.pages.get(id);
      if (!page) {
        page = this.newPage(undefined);
        this.pages.set(id, page);
        this.trim();
      }
      const img = data.image;
      if (!page.canvas) {
        page.canvas = new OffscreenCanvas(img.width, img.height);
        page.ctx = page.canvas.getContext('2d');
      }
      page.ctx.drawImage(img, 0, 0);
      if (typeof img.close === 'function') img.close();
      if (!page.dirty) {
        page.dirty = true;
        if (this.firstDirty === 0) this.firstDirty = performance.now();
      }
      this.schedule();
    }
  }

  newPage(marker) {
    return {
      key: this.nextKey++,
      entry: marker ? marker.entry : null,
      replace: marker ? marker.replace : false,
      canvas: null,
      ctx: null,
      dirty: false,
    };
  }

  trim() {
    while (this.pages.size > MAX_PAGES) {
      const [oldest, page] = this.pages.entries().next().value;
      if (page.dirty) this.send(page);
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
    const { canvas, key, entry, replace } = page;
    // Encode now, in order: a later layer must not be captured in an earlier send.
    const encoded = pngBase64(canvas);
    this.chain = this.chain.then(async () => {
      try {
        this.emit({
          type: 'plot',
          data: { key, entry, replace, width: canvas.width, height: canvas.height, png: await encoded },
        });
      } catch (err) {
        console.error('plot encoding failed:', err && err.message ? err.message : String(err));
      }
    });
  }
}
