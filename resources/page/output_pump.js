// Reads webR's output queue and hands it to Python in batches.
// One QWebChannel call per batch: a prompt (or any non-stream message) flushes at once so an
// interactive round trip costs one crossing; a flood of stdout lines is gathered for a few ms.
// Consecutive lines of one stream travel as one message whose data joins them with '\n'
// (webR's lines never contain '\n'), so a flood costs a handful of objects, not one per line.

const FLUSH_DELAY_MS = 8;
const MAX_BATCH_LINES = 4000;

/** Turn one webR output message into plain JSON (ImageBitmaps and R objects stay behind). */
export function toPlainMessage(msg) {
  switch (msg.type) {
    case 'stdout':
    case 'stderr':
    case 'prompt':
      return { type: msg.type, data: String(msg.data ?? '') };
    case 'pager':
      return { type: 'pager', data: { ...msg.data } };
    case 'view':
      return { type: 'view', data: { title: String(msg.data?.title ?? '') } };
    case 'closed': {
      const status = Number.isInteger(msg.data?.status) ? msg.data.status : 0;
      return { type: 'closed', data: { status } };
    }
    default:
      // The app's own worker messages (wd-help, wd-view, ...) carry small plain objects of ids.
      if (typeof msg.type === 'string' && msg.type.startsWith('wd-')) {
        return { type: msg.type, data: JSON.parse(JSON.stringify(msg.data ?? null)) };
      }
      return { type: String(msg.type) };
  }
}

export class OutputPump {
  /**
   * @param {object} webR a started WebR instance
   * @param {(batch: object[]) => void} send receives each batch of plain messages
   * @param {object} plots a PlotCompositor fed the canvas messages; its finished images are
   *   sent through this pump, and all of them before the prompt that follows
   * @param {Object<string, (data: object) => void>} handlers the app's own worker messages
   */
  constructor(webR, send, plots, handlers = {}) {
    this.webR = webR;
    this.send = send;
    this.plots = plots;
    this.handlers = handlers;
    this.batch = [];
    this.lines = 0;
    this.started = 0;
    this.timer = null;
  }

  async run() {
    for (;;) {
      const msg = await this.webR.read();
      if (msg.type === 'canvas') {
        this.plots.canvas(msg.data);
        continue;
      }
      if (msg.type === 'wd-plot') {
        this.plots.marker(msg.data);
        continue;
      }
      const handler = this.handlers[msg.type];
      if (handler) {
        handler(msg.data);
        continue;
      }
      if (msg.type === 'prompt' || msg.type === 'closed') {
        await this.plots.flush();
        this.plots.dropMarkers();
      }
      this.push(toPlainMessage(msg));
      if (msg.type === 'closed') return;
    }
  }

  push(msg) {
    const streaming = msg.type === 'stdout' || msg.type === 'stderr';
    const last = this.batch[this.batch.length - 1];
    if (streaming && last && last.type === msg.type) {
      last.data += '\n' + msg.data;
    } else {
      this.batch.push(msg);
    }
    if (this.lines++ === 0) this.started = performance.now();
    // Messages can arrive back to back for longer than the delay, starving the timer:
    // check the batch's age here too, so a flood's first lines show without waiting.
    if (!streaming || this.lines >= MAX_BATCH_LINES || performance.now() - this.started >= FLUSH_DELAY_MS) {
      this.flush();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), FLUSH_DELAY_MS);
    }
  }

  flush() {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.batch.length === 0) return;
    const out = this.batch;
    this.batch = [];
    this.lines = 0;
    this.send(out);
  }
}
