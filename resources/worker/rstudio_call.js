// Runs INSIDE the webR worker (webr::eval_js at each R start, from resources/R/gui/rstudioapi.R).
// rstudioapi's calls must be synchronous for R, so R's `.rs.api.*` functions post a sync XHR to
// the app's loopback route (webr_desktop/server/rstudio_api.py), which waits for the GUI's
// answer. The JSON answer comes back to R as R source text (list(...), "text", TRUE, NULL):
// webR's own conversion of JS objects guesses data frames and fails on nested lists.
(() => {
  const api = globalThis.__wdRstudio || (globalThis.__wdRstudio = { url: '' });
  const toR = (v) => {
    if (v === null || v === undefined) return 'NULL';
    if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'NA';
    if (typeof v === 'string') return JSON.stringify(v.replace(/\0/g, ''));
    if (Array.isArray(v)) return `list(${v.map(toR).join(',')})`;
    const items = Object.keys(v).map((k) => `${JSON.stringify(k.replace(/\0/g, ''))}=${toR(v[k])}`);
    return `list(${items.join(',')})`;
  };
  api.call = (request) => {
    if (!api.url) return toR({ error: 'rstudioapi support is not set up in this R session' });
    const xhr = new XMLHttpRequest();
    try {
      xhr.open('POST', api.url, false);
      xhr.setRequestHeader('Content-Type', 'application/json');
      xhr.send(request);
    } catch (e) {
      return toR({ error: `webR Desktop did not answer (${e})` });
    }
    if (xhr.status !== 200) return toR({ error: `webR Desktop refused the call (HTTP ${xhr.status})` });
    try {
      return toR(JSON.parse(xhr.responseText));
    } catch (e) {
      return toR({ error: 'webR Desktop sent an unreadable answer' });
    }
  };
  return 0;
})();
0;
