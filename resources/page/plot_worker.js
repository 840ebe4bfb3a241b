// A dedicated worker that composites plot layers and encodes them as PNG, off the page's
// main thread. Why not on the main thread: there Blink's CanvasAsyncBlobCreator posts a PNG
// encode as an *idle task* and only forces it after kIdleTaskStartTimeoutDelayMs (1000 ms on
// Linux) without an idle period; on a busy machine the renderer gets none, so every plot
// waited ~1 s. In a worker it encodes at once ("we also don't use idle tasks in workers",
// third_party/blink/renderer/core/html/canvas/canvas_async_blob_creator.cc).
//
// Messages in (processed in order, so an encode captures exactly the layers sent before it):
//   {op: 'layer', key, image}  draw an ImageBitmap (transferred) over page `key`'s canvas
//   {op: 'pixels', key, width, height, pixels}  replace page `key` with whole-page RGBA
//                              pixels (an ArrayBuffer, transferred; canvas_mend.js sends them)
//   {op: 'encode', key, seq}   encode page `key` now; answers {seq, ok, png, width, height}
//                              (png: base64) or {seq, ok: false, error}
//   {op: 'drop', key}          forget page `key`

const pages = new Map(); // key -> {canvas, ctx}

function pageOf(key, width, height) {
  let page = pages.get(key);
  if (!page) {
    const canvas = new OffscreenCanvas(width, height);
    page = { canvas, ctx: canvas.getContext('2d') };
    pages.set(key, page);
  }
  return page;
}

function layer(key, image) {
  pageOf(key, image.width, image.height).ctx.drawImage(image, 0, 0);
  image.close();
}

function pixels(key, width, height, buffer) {
  const page = pageOf(key, width, height);
  page.ctx.putImageData(new ImageData(new Uint8ClampedArray(buffer), width, height), 0, 0);
}

async function encode(key, seq) {
  const page = pages.get(key);
  try {
    if (!page) throw new Error(`no layers for plot page ${key}`);
    const { width, height } = page.canvas;
    // convertToBlob() snapshots the canvas now; later layers or a drop don't change it.
    const blob = await page.canvas.convertToBlob({ type: 'image/png' });
    // FileReaderSync (workers only) base64-encodes natively: no string building in JS.
    const url = new FileReaderSync().readAsDataURL(blob);
    const png = url.slice(url.indexOf(',') + 1);
    self.postMessage({ seq, ok: true, png, width, height });
  } catch (err) {
    self.postMessage({ seq, ok: false, error: err && err.message ? err.message : String(err) });
  }
}

self.onmessage = (ev) => {
  const msg = ev.data;
  switch (msg && msg.op) {
    case 'layer':
      layer(msg.key, msg.image);
      break;
    case 'pixels':
      pixels(msg.key, msg.width, msg.height, msg.pixels);
      break;
    case 'encode':
      encode(msg.key, msg.seq);
      break;
    case 'drop':
      pages.delete(msg.key);
      break;
    default:
      console.error(`plot worker: unknown op ${msg && msg.op}`);
  }
};
