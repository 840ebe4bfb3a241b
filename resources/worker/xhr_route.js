// Runs INSIDE the webR worker (webr::eval_js at each R start; see webr_desktop/net/proxy.py).
// R's own URL reads (readLines(url), read.csv(url), scan(url), file(url)) are synchronous
// XHRs made by webR's C code from the page's origin, so servers without CORS headers refuse
// them. While networking is on, a synchronous cross-origin GET is sent instead to our loopback
// server (same origin), which fetches the URL itself and answers with the remote status and
// body. Everything else (same-origin requests, async ones, other methods) is untouched.
(() => {
  const net = globalThis.__wdNet || (globalThis.__wdNet = { port: 0, secret: '', on: false });
  if (net.xhrRouted) return 0;
  const proto = XMLHttpRequest.prototype;
  const open = proto.open;
  const send = proto.send;
  proto.open = function (method, url, async) {
    this.__wdUrl = null;
    let target = null;
    try { target = new URL(url, location.href); } catch (e) { target = null; }
    if (net.on && net.fetchUrl && async === false && String(method).toUpperCase() === 'GET'
        && target && /^https?:$/.test(target.protocol) && target.origin !== location.origin) {
      this.__wdUrl = target.href;
      return open.call(this, 'POST', net.fetchUrl, false);
    }
    return open.apply(this, arguments);
  };
  proto.send = function (body) {
    if (!this.__wdUrl) return send.apply(this, arguments);
    this.setRequestHeader('Content-Type', 'application/json');
    return send.call(this, JSON.stringify({ op: 'get', url: this.__wdUrl }));
  };
  net.xhrRouted = true;
  return 0;
})();
0;
