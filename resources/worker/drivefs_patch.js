// Runs INSIDE the webR worker (webr::eval_js, from .wd.drive_mount in resources/R/drive.R),
// once per DRIVEFS mount. The source is a function expression of the mount point; R appends
// `("/the/mount/point"); 0;`. It makes a webR 0.6.0 DRIVEFS mount usable on real files:
//
// 1. write: the stock stream write re-allocates and copies the whole file on every write()
//    call, so writing a file is quadratic (8 MB write.csv: 43 s). Grow the buffer
//    geometrically instead.
// 2. put: the stock base64 encoder appends one character at a time; encode in chunks.
// 3. get: ask our server for the raw bytes ({format: "raw"}, a binary XHR reply) instead of
//    base64 inside JSON, which costs a 1.33x bigger transfer, JSON.parse and a char loop.
// 4. setattr: truncating to 0 (every open for writing) fetched the whole file to put back an
//    empty one; and time attributes (touch, file.copy) logged a warning per call.
// 5. globalThis.__wdDriveEvict[mountPoint](): forget the nodes Emscripten cached for the
//    mount, so files deleted, renamed or created on the host are seen by the next lookup.
(function (mountPoint) {
  const root = FS.lookupPath(mountPoint, { follow_mount: true }).node;
  const streamOps = root.stream_ops;
  const drive = streamOps.fs;
  const api = drive.API;
  const nodeOps = root.node_ops;

  if (!streamOps.__wdPatched) {
    streamOps.__wdPatched = true;

    streamOps.write = function (stream, buffer, offset, length, position) {
      if (length <= 0 || stream.file === undefined) return 0;
      stream.node.timestamp = Date.now();
      const file = stream.file;
      const old = file.data || new Uint8Array(0);
      const end = position + length;
      if (end > old.length) {
        const room = old.buffer.byteLength - old.byteOffset;
        if (end > room) {
          const grown = new Uint8Array(Math.max(end, old.length * 2, 1 << 16));
          grown.set(old);
          file.data = grown.subarray(0, end);
        } else {
          file.data = new Uint8Array(old.buffer, old.byteOffset, end);
        }
      }
      file.data.set(buffer.subarray(offset, offset + length), position);
      return length;
    };

    const stockPut = api.put.bind(api);
    api.put = function (path, file) {
      if (file.format !== 'base64') return stockPut(path, file);
      const bytes = file.data;
      const parts = [];
      const CHUNK = 0x8000; // String.fromCharCode.apply's argument limit is well above this
      for (let i = 0; i < bytes.length; i += CHUNK) {
        parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK)));
      }
      return this.request({
        method: 'put',
        path: this.normalizePath(path),
        data: { format: 'base64', data: btoa(parts.join('')) },
      });
    };

    api.get = function (path) {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', encodeURI(this.endpoint), false);
      xhr.responseType = 'arraybuffer'; // allowed for synchronous requests in workers
      xhr.send(JSON.stringify({
        data: { method: 'get', path: this.normalizePath(path), data: { format: 'raw' } },
        browsingContextId: this._browsingContextId,
      }));
      if (xhr.status === 0 || xhr.status >= 400) throw new this.FS.ErrnoError(this.ERRNO_CODES.EINVAL);
      if ((xhr.getResponseHeader('Content-Type') || '').startsWith('application/json')) {
        throw new this.FS.ErrnoError(this.ERRNO_CODES.ENOENT); // `null`: missing or not a file
      }
      return { data: new Uint8Array(xhr.response), format: 'base64' };
    };

    const stockSetattr = nodeOps.setattr;
    nodeOps.setattr = function (node, attr) {
      const known = {};
      for (const key of ['mode', 'timestamp', 'size']) if (key in attr) known[key] = attr[key];
      if (known.size === 0 && drive.FS.isFile(node.mode)) {
        api.put(drive.realPath(node), { data: new Uint8Array(0), format: 'base64' });
        delete known.size;
      }
      if ('mtime' in attr && !('timestamp' in known)) known.timestamp = attr.mtime;
      if (Object.keys(known).length) stockSetattr(node, known);
    };
  }

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
