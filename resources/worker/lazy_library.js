// Runs INSIDE the webR worker (webr::eval_js at each R start, from resources/R/packages.R).
// The persistent host library (<data dir>/library/R-4.6) as R sees it at R_LIBS_USER: an
// in-memory tree whose folders and file sizes come from a manifest the app sends, and whose
// file contents are fetched on first read, one synchronous GET each, from the app's
// read-only library route (webr_desktop/server/library_view.py). Like webR's own
// createLazyFilesystem, but with the sizes known up front, so stat() and file.exists() cost
// nothing (Emscripten's createLazyFile sends a HEAD request for a size).
//
// Why not DRIVEFS: every lookup, stat and open there is a request, library() of 5 packages
// costs hundreds of them, and the per-command eviction would repeat them (numbers in
// bench/packages.py and the issue notes).
//
// Everything is read-only (files 0555, folders 0555): R can't write into the library; the app
// installs through its own checked path and then sends a new manifest for what changed.
(() => {
  const lib = (globalThis.__wdLib ??= { root: '', base: '', requests: 0, bytes: 0 });
  if (lib.sync) return 0;
  const EIO = globalThis.ERRNO_CODES?.EIO ?? 29;
  const MEMFS_OPS = FS.filesystems.MEMFS.stream_ops;

  const get = (method, url, body) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url, false);
    xhr.responseType = 'arraybuffer'; // allowed for synchronous requests in workers
    try {
      xhr.send(body);
    } catch (e) {
      throw new FS.ErrnoError(EIO);
    }
    if (xhr.status !== 200) throw new FS.ErrnoError(EIO);
    lib.requests++;
    return xhr.response;
  };

  // What library() reads of a package (DESCRIPTION, NAMESPACE, Meta/*, R/*, a small lazy-load
  // database) and of the packages it depends on comes in one request, at the first read of any
  // of it (see bundle() in library_view.py). Files of packages not made yet wait in prefetch.
  lib.fetched ??= {}; // package -> true: its bundle arrived
  lib.groups ??= {}; // package -> { nodes: rel -> node } once its tree is made
  lib.prefetch ??= {}; // "pkg/rel" -> bytes for packages not made yet
  const loadBundle = (group) => {
    group.fetched = true;
    const have = Object.keys(lib.fetched);
    const buf = get('POST', lib.manifestUrl, JSON.stringify({ op: 'bundle', package: group.name, have }));
    const view = new DataView(buf);
    const headLength = view.getUint32(0);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, headLength)));
    let at = 4 + headLength;
    for (const [path, size] of header) {
      const cut = path.indexOf('/');
      const pkg = path.slice(0, cut);
      const bytes = new Uint8Array(buf.slice(at, at + size));
      at += size;
      lib.fetched[pkg] = true;
      lib.bytes += size;
      const g = lib.groups[pkg];
      if (g) {
        g.fetched = true;
        const node = g.nodes[path.slice(cut + 1)];
        if (node && !node.contents) node.contents = bytes;
      } else {
        lib.prefetch[path] = bytes;
      }
    }
  };

  const forget = (name) => {
    delete lib.fetched[name];
    delete lib.groups[name];
    for (const key of Object.keys(lib.prefetch)) if (key.startsWith(`${name}/`)) delete lib.prefetch[key];
  };

  const load = (node) => {
    if (node.contents) return;
    if (node.wdGroup && !node.wdGroup.fetched) {
      loadBundle(node.wdGroup);
      if (node.contents) return;
    }
    node.contents = new Uint8Array(get('GET', node.wdUrl, null));
    lib.bytes += node.contents.length;
  };

  // One shared table for every lazy file: read and mmap load first; writes can't happen
  // (the files are read-only, and Emscripten checks modes).
  const lazyOps = {
    llseek: MEMFS_OPS.llseek,
    read(stream, buffer, offset, length, position) {
      load(stream.node);
      return MEMFS_OPS.read(stream, buffer, offset, length, position);
    },
    write() {
      throw new FS.ErrnoError(EIO);
    },
    mmap(stream, length, position, prot, flags) {
      load(stream.node);
      return MEMFS_OPS.mmap(stream, length, position, prot, flags);
    },
    msync() {
      return 0;
    },
  };
  const usedBytes = {
    get() {
      return this.contents ? this.contents.length : this.wdSize;
    },
  };

  const BUNDLED = /^(DESCRIPTION|NAMESPACE|(Meta|R)\/[^/]+)$/; // and not *.rdb (library_view.bundle)
  const segments = (path) => path.split('/').map(encodeURIComponent).join('/');

  const removeTree = (path) => {
    let node;
    try {
      node = FS.lookupPath(path, { follow: false }).node;
    } catch (e) {
      return;
    }
    if (FS.isDir(node.mode)) {
      if (!node.wdPending) {
        for (const name of FS.readdir(path)) if (name !== '.' && name !== '..') removeTree(`${path}/${name}`);
      }
      FS.rmdir(path);
    } else {
      FS.unlink(path);
    }
  };

  // A package's folders and files are made at the first look inside it (a lookup, a listing),
  // so an R start costs one node per package, whatever the size of the library.
  const populate = (top) => {
    const pending = top.wdPending;
    if (!pending) return;
    top.wdPending = null;
    top.node_ops = pending.dirOps;
    const saved = FS.ignorePermissions;
    FS.ignorePermissions = true;
    try {
      fill(pending.path, pending.name, pending.entry);
    } finally {
      FS.ignorePermissions = saved;
    }
  };

  const fill = (top, name, entry) => {
    for (const dir of entry.dirs) FS.mkdir(`${top}/${dir}`, 0o555);
    const group = { name, fetched: Boolean(lib.fetched[name]), nodes: {} };
    lib.groups[name] = group;
    for (const [rel, size] of entry.files) {
      const cut = rel.lastIndexOf('/');
      const parent = cut < 0 ? top : `${top}/${rel.slice(0, cut)}`;
      const node = FS.createFile(parent, rel.slice(cut + 1), {}, true, false);
      node.contents = null;
      node.wdSize = size;
      node.wdUrl = `${lib.base}${segments(`${name}/${rel}`)}`;
      Object.defineProperty(node, 'usedBytes', usedBytes);
      node.stream_ops = lazyOps;
      group.nodes[rel] = node;
      const key = `${name}/${rel}`;
      if (key in lib.prefetch) {
        node.contents = lib.prefetch[key];
        delete lib.prefetch[key];
      }
      if (BUNDLED.test(rel) && !rel.endsWith('.rdb')) node.wdGroup = group;
    }
  };

  const addPackage = (name, entry) => {
    const top = `${lib.root}/${name}`;
    FS.mkdir(top, 0o555);
    const node = FS.lookupPath(top).node;
    const dirOps = node.node_ops;
    node.wdPending = { path: top, name, entry, dirOps };
    node.node_ops = {
      ...dirOps,
      lookup(parent, child) {
        populate(parent);
        const found = parent.contents && parent.contents[child];
        if (!found) throw new FS.ErrnoError(44); // ENOENT
        return found;
      },
      readdir(dir) {
        populate(dir);
        return dirOps.readdir(dir);
      },
    };
  };

  // Where the tree lives and where the app serves files and manifests (both secret URLs).
  lib.setup = (root, filesBase, manifestUrl) => {
    lib.pending = { root, filesBase };
    lib.manifestUrl = manifestUrl;
    return 0;
  };

  // Ask the app for the manifest of `names` (a JSON array; null: the whole library, and
  // packages no longer there are dropped) and bring the tree up to date. Returns the count.
  lib.refresh = (namesJson) => {
    const names = JSON.parse(namesJson);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', lib.manifestUrl, false);
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.send(JSON.stringify(names === null ? { op: 'manifest' } : { op: 'manifest', packages: names }));
    if (xhr.status !== 200) throw new Error(`the app did not send the library's manifest (HTTP ${xhr.status})`);
    const { root, filesBase } = lib.pending;
    return lib.sync(root, filesBase, xhr.responseText, names === null);
  };

  // manifest: {"packages": {name: {"dirs": [rel...], "files": [[rel, size]...]} | null}};
  // null (or a name missing from a full manifest) removes the package. Returns the count.
  lib.sync = (root, base, manifestJson, full) => {
    const manifest = JSON.parse(manifestJson);
    const saved = FS.ignorePermissions;
    FS.ignorePermissions = true; // the tree is read-only to R, not to us
    try {
      if (lib.root !== root) {
        FS.mkdirTree(root);
        FS.chmod(root, 0o555);
        lib.root = root;
      }
      lib.base = base;
      const packages = manifest.packages || {};
      if (full) {
        for (const name of FS.readdir(root)) {
          if (name !== '.' && name !== '..' && !(name in packages)) {
            forget(name);
            removeTree(`${root}/${name}`);
          }
        }
      }
      let count = 0;
      for (const [name, entry] of Object.entries(packages)) {
        forget(name); // what was fetched of it may be stale now
        removeTree(`${root}/${name}`);
        if (entry) {
          addPackage(name, entry);
          count++;
        }
      }
      return count;
    } finally {
      FS.ignorePermissions = saved;
    }
  };
  return 0;
})();
0;
