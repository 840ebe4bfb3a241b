// Runs INSIDE the webR worker (webr::eval_js at each R start; see webr_desktop/server/fetch.py).
// download.file() for http(s) URLs: our own loopback server fetches the URL (same origin, so
// no CORS limit) and we pull the body in chunks with synchronous XHRs (allowed in a worker),
// writing each chunk straight into webR's file system. Returns JSON text for R.
(() => {
  const net = globalThis.__wdNet || (globalThis.__wdNet = { port: 0, secret: '', on: false });
  if (net.download) return 0;
  const post = (request, binary) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', net.fetchUrl, false);
    if (binary) xhr.responseType = 'arraybuffer';
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.send(JSON.stringify(request));
    return xhr;
  };
  net.download = (url, dest, headersJson, timeout) => {
    if (!net.fetchUrl) return JSON.stringify({ error: 'download service not available', status: 0 });
    const opened = post({ op: 'open', url, headers: JSON.parse(headersJson || '{}'), timeout });
    if (opened.status !== 200) return JSON.stringify({ error: `download service failed (HTTP ${opened.status})`, status: 0 });
    const info = JSON.parse(opened.responseText);
    if (info.error) return opened.responseText;
    const stream = FS.open(dest, 'w');
    let size = 0;
    try {
      for (;;) {
        const chunk = post({ op: 'read', id: info.id }, true);
        if (chunk.status !== 200) { // the service says why: off, a short body, a reset…
          const why = chunk.response ? new TextDecoder().decode(chunk.response).slice(0, 300) : '';
          return JSON.stringify({ error: why || `download interrupted (HTTP ${chunk.status})`, status: 0 });
        }
        const bytes = new Uint8Array(chunk.response);
        if (bytes.length === 0) break;
        FS.write(stream, bytes, 0, bytes.length);
        size += bytes.length;
      }
    } finally {
      FS.close(stream);
      if (size === 0 || info.size < 0 || size !== info.size) post({ op: 'close', id: info.id }, false);
    }
    if (info.size >= 0 && size !== info.size) {
      return JSON.stringify({ error: `download incomplete: ${size} of ${info.size} bytes`, status: 0 });
    }
    return JSON.stringify({ status: info.status, size, url: info.url, type: info.type });
  };
  return 0;
})();
0;
