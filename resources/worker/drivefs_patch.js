// Runs INSIDE the webR worker (webr::eval_js, from .wd.drive_mount in resources/R/drive.R),
// once per DRIVEFS mount. The source is a function expression of the mount point; R appends
// `("/the/mount/point"); 0;`. It makes a webR 0.6.0 DRIVEFS mount usable on real files
// (the stock client: webR's dist/webr-worker.js, classes Jn/Xn/Gn/Kn; the server side is
// webr_desktop/server/drive.py):
//
// 1. request: the secret goes in the X-WD-Secret header, so the server refuses a wrong one
//    before reading a body; an error reply's `errno` ("ENOSPC", "EACCES"...) becomes that
//    FS.ErrnoError, so R says "No space left on device", not the stock "Invalid argument".
// 2. read: a file opened for reading is fetched in ranges of CHUNK bytes as R reads it
//    (the stock client fetched the whole file at open: a 3 GB file gave raw(0)).
// 3. write: a new file or one opened with O_TRUNC ("w", "wb") is sent in UP_CHUNK pieces as
//    R writes it (an upload: the server's temporary file, renamed over the target at close),
//    and one opened to append ("a") has its pieces appended to the host file in place (a
//    failure truncates it back), so neither is bounded by memory. If R seeks back into a file
//    it is writing, or opened it to update ("r+"), the file is held whole in memory, up to
//    MAX_EDIT bytes (larger: "File too large"), growing geometrically (the stock write copied
//    the whole file on every write() call: 8 MB write.csv took 43 s), and sent at close.
//    A zero-length write (musl's writev starts with its often empty buffer) is a no-op.
// 4. put: the bytes go raw to /api/drive/put (no base64, no JSON); the server writes a
//    temporary file and renames it over the target, so a failed write keeps the old file.
// 5. setattr size (every open with O_TRUNC, and ftruncate): the stock client fetched the
//    whole file to put back a shorter one, and truncated on the host at open, so a write that
//    failed later had already lost the old contents. Here the new length is applied to the
//    open streams (or to the next open of the node) and reaches the host at close, atomically.
// 6. globalThis.__wdDriveEvict[mountPoint](): forget the nodes Emscripten cached for the
//    mount, so files deleted, renamed or created on the host are seen by the next lookup.
// 7. readlink: DRIVEFS answers EPERM, which R's realpath() (normalizePath(mustWork = TRUE),
//    tools::file_path_as_absolute(), data()) reports as "Operation not permitted"; a host
//    folder holds no links the worker could follow, so answer "not a link" (EINVAL).
(function (mountPoint) {
  const CHUNK = 8 << 20; // bytes per ranged read (the server allows up to 16 MiB)
  const UP_CHUNK = 8 << 20; // bytes per upload piece
  const MAX_EDIT = 1 << 30; // a file held whole in worker memory ("r+", a seek back)
  const O_ACCMODE = 3;
  const O_APPEND = 1024;
  const root = FS.lookupPath(mountPoint, { follow_mount: true }).node;
  const streamOps = root.stream_ops;
  const drive = streamOps.fs;
  const api = drive.API;
  const nodeOps = root.node_ops;
  const ERR = drive.ERRNO_CODES;

  const fail = (name) => new drive.FS.ErrnoError(ERR[name] ?? ERR.EIO);

  // The errno an error reply names (JSON {"error", "errno"}), whatever the reply type.
  function replyError(xhr) {
    if (xhr.status === 0) return fail('EIO');
    let text = '';
    try {
      text = xhr.responseType === 'arraybuffer'
        ? new TextDecoder().decode(xhr.response) : xhr.responseText;
      const body = JSON.parse(text);
      if (body && typeof body.errno === 'string' && body.errno in ERR) return fail(body.errno);
    } catch (e) { /* not JSON: a refusal by the server itself */ }
    return fail(xhr.status === 413 ? 'EFBIG' : xhr.status === 403 ? 'EACCES' : 'EIO');
  }

  function post(url, body, headers, binary) {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url, false);
    xhr.setRequestHeader('X-WD-Secret', api._browsingContextId);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    if (binary) xhr.responseType = 'arraybuffer'; // allowed for synchronous requests in workers
    try {
      xhr.send(body);
    } catch (e) {
      throw fail('EIO'); // the server went away
    }
    if (xhr.status === 0 || xhr.status >= 400) throw replyError(xhr);
    return xhr;
  }

  // One range of a file: {bytes, size}; size is the whole file's, from X-WD-Size.
  function rangeGet(path, offset, length) {
    const xhr = post(encodeURI(api.endpoint), JSON.stringify({
      data: { method: 'get', path: api.normalizePath(path), data: { format: 'raw', offset, length } },
    }), { 'Content-Type': 'application/json' }, true);
    if ((xhr.getResponseHeader('Content-Type') || '').startsWith('application/json')) {
      throw fail('ENOENT'); // `null`: missing or not a file
    }
    return { bytes: new Uint8Array(xhr.response), size: Number(xhr.getResponseHeader('X-WD-Size')) };
  }

  // A whole file (for a stream opened for writing), fetched in ranges.
  function readWhole(path, limit) {
    const first = rangeGet(path, 0, Math.min(CHUNK, limit));
    const size = Math.min(first.size, limit);
    if (first.size > MAX_EDIT && limit > MAX_EDIT) throw fail('EFBIG');
    if (first.bytes.length >= size) return first.bytes.slice(0, size);
    const data = new Uint8Array(size);
    data.set(first.bytes);
    let at = first.bytes.length;
    while (at < size) {
      const part = rangeGet(path, at, Math.min(CHUNK, size - at)).bytes;
      if (!part.length) break; // shrank on the host meanwhile
      data.set(part.subarray(0, size - at), at);
      at += part.length;
    }
    return at < size ? data.slice(0, at) : data;
  }

  // An upload (a file opened with O_TRUNC) sends what R wrote so far; `final` publishes it.
  function upSend(stream, final) {
    const up = stream.__wdUp;
    const body = up.buf ? up.buf.subarray(0, up.len) : new Uint8Array(0);
    if (up.id === null && final && up.keep && !up.len) return; // appended nothing
    if (up.id === null && final && !up.keep) {
      api.put(up.path, { data: body, format: 'base64' }); // one piece: a plain put
      return;
    }
    const headers = {
      'Content-Type': 'application/octet-stream',
      'X-WD-Path': encodeURIComponent(api.normalizePath(up.path)),
      'X-WD-Upload': up.id ?? 'new',
      'X-WD-Offset': String(up.sent),
    };
    if (final) headers['X-WD-Final'] = '1';
    if (up.keep && up.id === null) headers['X-WD-Keep'] = '1'; // the server copies the old file
    const xhr = post(encodeURI(api.endpoint + '/put'), body, headers, false);
    if (!final) up.id = JSON.parse(xhr.responseText).upload;
    up.sent += up.len;
    up.len = 0;
  }

  // Bytes of an upload already on the server (to hold the file in memory after a seek).
  function uploadGet(up, offset, length) {
    const xhr = post(encodeURI(api.endpoint), JSON.stringify({
      data: { method: 'get', path: api.normalizePath(up.path),
        data: { format: 'raw', offset, length, upload: up.id } },
    }), { 'Content-Type': 'application/json' }, true);
    return new Uint8Array(xhr.response);
  }

  // Turn an upload into a whole file in memory (R seeked back, read, or truncated).
  function materialize(stream) {
    const up = stream.__wdUp;
    if (!up) return;
    const total = up.sent + up.len;
    if (total > MAX_EDIT) throw fail('EFBIG');
    let data;
    if (up.id === null && up.keep) { // appending, nothing sent yet: the file as it is now
      const head = readWhole(up.path, up.sent);
      data = new Uint8Array(head.length + up.len);
      data.set(head);
    } else {
      data = new Uint8Array(total);
      let at = 0;
      while (at < up.sent) {
        const part = uploadGet(up, at, Math.min(CHUNK, up.sent - at));
        if (!part.length) throw fail('EIO');
        data.set(part, at);
        at += part.length;
      }
    }
    if (up.len) data.set(up.buf.subarray(0, up.len), data.length - up.len);
    if (up.id !== null) {
      try {
        post(encodeURI(api.endpoint + '/put'), new Uint8Array(0), {
          'X-WD-Path': encodeURIComponent(api.normalizePath(up.path)),
          'X-WD-Upload': up.id, 'X-WD-Abort': '1',
        }, false);
      } catch (e) { /* gone already: nothing to remove */ }
    }
    stream.__wdUp = undefined;
    stream.file = { data, format: 'base64' };
    stream.__wdDirty = true;
  }

  // A stream whose upload failed keeps failing with the same errno, at close too.
  function failed(stream) {
    if (stream.__wdFailed !== undefined) throw new drive.FS.ErrnoError(stream.__wdFailed);
  }

  if (!streamOps.__wdPatched) {
    streamOps.__wdPatched = true;

    api.request = function (data) {
      const xhr = post(encodeURI(this.endpoint), JSON.stringify({ data }),
        { 'Content-Type': 'application/json' }, false);
      return JSON.parse(xhr.responseText);
    };

    api.put = function (path, file) {
      const bytes = file.format === 'base64' ? file.data : new TextEncoder().encode(file.data);
      post(encodeURI(this.endpoint + '/put'), bytes, {
        'Content-Type': 'application/octet-stream',
        'X-WD-Path': encodeURIComponent(this.normalizePath(path)),
      }, false);
    };

    api.get = function (path) {
      return { data: readWhole(path, Infinity), format: 'base64' };
    };

    const writers = (node) => (node.__wdWriters ??= new Set());

    streamOps.open = function (stream) {
      const node = stream.node;
      if (!drive.FS.isFile(node.mode)) return;
      const path = drive.realPath(node);
      if ((stream.flags & O_ACCMODE) === 0) { // read only: ranges as R reads
        const first = rangeGet(path, 0, CHUNK);
        stream.__wdRead = { path, size: first.size, start: 0, bytes: first.bytes };
        return;
      }
      const cut = node.__wdTruncate; // set by an O_TRUNC open just before this call
      const created = node.__wdCreated; // FS.open skips the truncate for a file it created
      node.__wdTruncate = node.__wdCreated = undefined; // spent, even if the open fails
      // A read-only file or folder fails here, at open, as R's own files do (an R error).
      api.request({ method: 'writable', path: api.normalizePath(path) });
      writers(node).add(stream);
      if (cut === 0 || created) { // "w" (or a new file): send as R writes
        stream.__wdUp = { path, id: null, sent: 0, buf: null, len: 0, keep: false };
        return;
      }
      if (cut === undefined && (stream.flags & O_APPEND)) { // "a": the server copies, R appends
        const size = api.getattr(path).size;
        stream.__wdUp = { path, id: null, sent: size, buf: null, len: 0, keep: true };
        return;
      }
      const data = readWhole(path, cut ?? Infinity);
      stream.file = { data, format: 'base64' };
      stream.__wdDirty = cut !== undefined;
    };

    streamOps.close = function (stream) {
      stream.__wdRead = undefined;
      writers(stream.node).delete(stream);
      failed(stream);
      if (stream.__wdUp) {
        try {
          upSend(stream, true);
        } finally {
          stream.__wdUp = undefined;
        }
        return;
      }
      const file = stream.file;
      if (!file) return;
      stream.file = undefined;
      if (stream.__wdDirty) api.put(drive.realPath(stream.node), file);
    };

    streamOps.read = function (stream, buffer, offset, length, position) {
      const r = stream.__wdRead;
      if (!r) materialize(stream); // "w+": reading what was written
      const file = stream.file;
      if (!r) { // a stream opened for reading and writing
        if (length <= 0 || !file || position >= file.data.length) return 0;
        const n = Math.min(file.data.length - position, length);
        buffer.set(file.data.subarray(position, position + n), offset);
        return n;
      }
      if (length <= 0 || position >= r.size) return 0;
      if (position < r.start || position >= r.start + r.bytes.length) {
        const got = rangeGet(r.path, position, CHUNK);
        r.start = position;
        r.bytes = got.bytes;
        r.size = got.size;
        if (!r.bytes.length) return 0; // shrank on the host meanwhile
      }
      const from = position - r.start;
      const n = Math.min(length, r.bytes.length - from);
      buffer.set(r.bytes.subarray(from, from + n), offset);
      return n;
    };

    streamOps.write = function (stream, buffer, offset, length, position) {
      failed(stream);
      if (length <= 0) return 0; // musl's writev starts with its (often empty) buffer
      const up = stream.__wdUp;
      if (up && position === up.sent + up.len) { // the common case: appending
        stream.node.timestamp = Date.now();
        let from = offset;
        let left = length;
        try {
          while (left > 0) {
            up.buf ??= new Uint8Array(UP_CHUNK);
            const n = Math.min(left, UP_CHUNK - up.len);
            up.buf.set(buffer.subarray(from, from + n), up.len);
            up.len += n;
            from += n;
            left -= n;
            if (up.len === UP_CHUNK) upSend(stream, false);
          }
        } catch (e) {
          stream.__wdUp = undefined; // the server removed the upload; the old file stays
          stream.__wdFailed = e.errno ?? ERR.EIO;
          throw e;
        }
        return length;
      }
      if (up) materialize(stream);
      if (length <= 0 || stream.file === undefined) return 0;
      stream.node.timestamp = Date.now();
      stream.__wdDirty = true;
      const file = stream.file;
      const old = file.data || new Uint8Array(0);
      const end = position + length;
      if (end > MAX_EDIT) throw fail('EFBIG');
      if (end > old.length) {
        const room = old.buffer.byteLength - old.byteOffset;
        if (end > room) {
          const grown = new Uint8Array(Math.min(MAX_EDIT, Math.max(end, old.length * 2, 1 << 16)));
          grown.set(old);
          file.data = grown.subarray(0, end);
        } else {
          file.data = new Uint8Array(old.buffer, old.byteOffset, end);
        }
      }
      file.data.set(buffer.subarray(offset, offset + length), position);
      return length;
    };

    streamOps.llseek = function (stream, offset, whence) {
      let position = offset;
      if (whence === 1) position += stream.position;
      else if (whence === 2 && drive.FS.isFile(stream.node.mode)) {
        if (stream.__wdRead) position += stream.__wdRead.size;
        else if (stream.__wdUp) position += stream.__wdUp.sent + stream.__wdUp.len;
        else if (stream.file) position += stream.file.data.length;
        else throw fail('EPERM');
      }
      if (position < 0) throw fail('EINVAL');
      return position;
    };

    const stockMknod = nodeOps.mknod;
    nodeOps.mknod = function (parent, name, mode, dev) {
      const node = stockMknod.call(this, parent, name, mode, dev);
      if (drive.FS.isFile(mode)) node.__wdCreated = true; // empty: nothing to fetch at open
      return node;
    };

    const stockSetattr = nodeOps.setattr;
    nodeOps.setattr = function (node, attr) {
      const known = {};
      for (const key of ['mode', 'timestamp']) if (key in attr) known[key] = attr[key];
      if ('size' in attr && drive.FS.isFile(node.mode)) {
        const size = attr.size;
        if (size > MAX_EDIT) throw fail('EFBIG');
        const open = writers(node);
        if (open.size) {
          for (const s of open) { // ftruncate on an open stream: its copy is cut or grown
            materialize(s);
            if (!s.file) continue;
            const data = s.file.data;
            if (size <= data.length) s.file.data = data.slice(0, size);
            else { const grown = new Uint8Array(size); grown.set(data); s.file.data = grown; }
            s.__wdDirty = true;
          }
        } else {
          node.__wdTruncate = size; // FS.open calls this just before streamOps.open
        }
      }
      if ('mtime' in attr && !('timestamp' in known)) known.timestamp = attr.mtime;
      if (Object.keys(known).length) stockSetattr(node, known);
    };
  }

  nodeOps.readlink = function () {
    throw new api.FS.ErrnoError(api.ERRNO_CODES.EINVAL);
  };

  const mount = root.mount;
  (globalThis.__wdDriveEvict ??= {})[mountPoint] = () => {
    let evicted = 0;
    const table = FS.nameTable;
    for (let i = 0; i < table.length; i++) {
      let node = table[i];
      while (node) {
        const next = node.name_next;
        if (node.mount === mount && node !== root) {
          FS.hashRemoveNode(node);
          evicted++;
        }
        node = next;
      }
    }
    return evicted;
  };
})
