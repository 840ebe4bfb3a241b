// Runs INSIDE the webR worker (webr::eval_js at each R start, from resources/R/packages.R).
// R's install.packages() and friends talk to the app's package route (POST JSON,
// webr_desktop/server/packages.py) with synchronous XHRs. webR's eval_js can't hand R a
// nested object, so a reply stays here (api.last) and R reads it flattened: api.rows(key)
// turns an array of records into [nrow, ncol, names..., values column by column], every
// value a string and null/missing as NA_MARK, which R reshapes into a data frame.
(() => {
  const api = (globalThis.__wdPkgs ??= {});
  if (api.call) return 0;
  const NA_MARK = '\u0001NA\u0001';

  api.setup = (apiUrl, blobUrl) => {
    api.url = apiUrl;
    api.blobUrl = blobUrl;
    return 0;
  };

  const post = (body, binary) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', api.url, false);
    if (binary) xhr.responseType = 'arraybuffer';
    xhr.setRequestHeader('Content-Type', 'application/json');
    try {
      xhr.send(body);
    } catch (e) {
      return { error: `the app's package service did not answer (${e.message || e})` };
    }
    return { xhr };
  };

  const fail = (xhr) => {
    let text = '';
    try {
      text = xhr.responseType === 'arraybuffer' ? new TextDecoder().decode(xhr.response) : xhr.responseText;
      const reply = JSON.parse(text);
      if (reply && typeof reply.error === 'string') return reply.error;
    } catch (e) {
      // not JSON: fall through
    }
    return `the app's package service failed (HTTP ${xhr.status})`;
  };

  // One request; returns '' on success (the reply is kept in api.last) or the error text.
  api.call = (bodyJson) => {
    api.last = null;
    const { xhr, error } = post(bodyJson, false);
    if (error) return error;
    let reply;
    try {
      reply = JSON.parse(xhr.responseText);
    } catch (e) {
      return `the app's package service failed (HTTP ${xhr.status})`;
    }
    if (reply && typeof reply.error === 'string') return reply.error;
    if (xhr.status !== 200) return fail(xhr);
    api.last = reply;
    return '';
  };

  const text = (v) => (v === null || v === undefined ? NA_MARK : typeof v === 'object' ? JSON.stringify(v) : String(v));

  // The records under api.last[key] (an array, or one record), flattened; a record's "fields"
  // object (a package's index entry) is merged in under its own keys.
  api.rows = (key) => {
    let records = api.last ? api.last[key] : null;
    if (records === null || records === undefined) records = [];
    if (!Array.isArray(records)) records = [records];
    records = records.map((r) => (r && typeof r === 'object' ? { ...(r.fields || {}), ...r } : { value: r }));
    const names = [];
    const seen = new Set();
    for (const r of records) {
      for (const k of Object.keys(r)) {
        if (k !== 'fields' && !seen.has(k)) {
          seen.add(k);
          names.push(k);
        }
      }
    }
    const out = [String(records.length), String(names.length), ...names];
    for (const k of names) for (const r of records) out.push(text(r[k]));
    return out;
  };

  // A single value of api.last as text ('' when missing).
  api.value = (key) => {
    const v = api.last ? api.last[key] : undefined;
    return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  };

  // fetch_source: the archive's bytes go straight into webR's file system at `dest`.
  api.fetchTo = (bodyJson, dest) => {
    const { xhr, error } = post(bodyJson, true);
    if (error) return error;
    if (xhr.status !== 200 || (xhr.getResponseHeader('Content-Type') || '').startsWith('application/json')) {
      return fail(xhr);
    }
    FS.writeFile(dest, new Uint8Array(xhr.response));
    return '';
  };

  // Upload a file of webR's file system to the app's blob inbox; returns its id ('' on failure).
  api.upload = (path) => {
    const bytes = FS.readFile(path);
    const id = `pkg-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const xhr = new XMLHttpRequest();
    xhr.open('POST', api.blobUrl, false);
    xhr.setRequestHeader('X-Blob-Id', id);
    try {
      xhr.send(bytes);
    } catch (e) {
      return '';
    }
    return xhr.status === 200 ? id : '';
  };
  return 0;
})();
0;
