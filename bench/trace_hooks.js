// Benchmark-only hooks (bench/_trace.py runs this in the app's runtime page with --trace):
// wraps methods of the page's own modules so each hop of a console command or a plot leaves
// a timestamp in window.__wdTrace. ES modules are singletons per URL, so importing them again
// here gives the very classes main.js uses; the wrappers sit on the prototypes, which the live
// objects look their methods up on. Times are epoch milliseconds, comparable with Python's
// time.time() * 1000. Nothing in the product loads this file.
(async () => {
  if (window.__wdTrace) return 'already';
  const trace = [];
  window.__wdTrace = trace;
  const now = () => performance.timeOrigin + performance.now();
  const mark = (stage, detail) => trace.push([stage, now(), detail ?? '']);

  const [{ WebR }, { PlotCompositor }, { OutputPump }] = await Promise.all([
    // Absolute URLs: a runJavaScript script has no base URL of its own.
    import(new URL('../webr/webr.js', location.href).href),
    import(new URL('plots.js', location.href).href),
    import(new URL('output_pump.js', location.href).href),
  ]);

  const writeConsole = WebR.prototype.writeConsole;
  WebR.prototype.writeConsole = function (...args) {
    mark('page.writeConsole');
    return writeConsole.apply(this, args);
  };

  // Every message the worker sends the page arrives through read().
  const read = WebR.prototype.read;
  WebR.prototype.read = async function (...args) {
    const msg = await read.apply(this, args);
    const type = msg && msg.type;
    if (type === 'canvas') mark('page.read.canvas', msg.data && msg.data.event);
    else mark(`page.read.${type}`, type === 'stdout' || type === 'stderr' ? String(msg.data).slice(0, 40) : '');
    return msg;
  };

  const marker = PlotCompositor.prototype.marker;
  PlotCompositor.prototype.marker = function (...args) {
    mark('page.plot.marker');
    return marker.apply(this, args);
  };

  const canvas = PlotCompositor.prototype.canvas;
  PlotCompositor.prototype.canvas = function (data) {
    const out = canvas.call(this, data);
    if (data && (data.event === 'canvasImage' || data.event === 'canvasPixels')) mark('page.plot.composited');
    return out;
  };

  const send = PlotCompositor.prototype.send;
  PlotCompositor.prototype.send = function (page) {
    mark('page.plot.encode_start');
    if (!this.__traced) {
      const emit = this.emit;
      this.emit = (msg) => {
        if (msg && msg.type === 'plot') mark('page.plot.encoded', String(msg.data.png.length));
        return emit(msg);
      };
      this.__traced = true;
    }
    return send.call(this, page);
  };

  const flush = OutputPump.prototype.flush;
  OutputPump.prototype.flush = function (...args) {
    if (this.batch.length) mark('page.deliver', this.batch.map((m) => m.type).join(','));
    return flush.apply(this, args);
  };
  window.__wdTraceReady = true;
  return 'installed';
})();
