// Runs INSIDE the webR worker (webr::eval_js at each R start; see webr_desktop/net/proxy.py).
// Routes every TCP socket R opens to host:port through the app's websockify child as
//   ws://127.0.0.1:PORT/?token=SECRET@host:port
// Emscripten's SOCKFS builds one URL for every socket (createPeer), so we wrap createPeer.
// webR's proxied WebSocket never sets readyState on close/error, so SOCKFS would never report
// EOF or a refusal: we set it. A connection that ends abnormally (close code other than 1000:
// the proxy child died (1006), the target reset (4104), an error event) is a reset, so R's
// read fails (ECONNRESET) after the bytes that arrived, instead of seeing a clean end of
// data. The port/secret/on state lives in globalThis.__wdNet and is
// updated by .wd.net_configure() in R without reinstalling anything.
(() => {
  const net = globalThis.__wdNet || (globalThis.__wdNet = { port: 0, secret: '', on: false });
  if (net.installed) return 0;
  const ECONNREFUSED = 14; // WASI errno numbering, as used by Emscripten's FS.ErrnoError
  const ECONNRESET = 15;
  const ETIMEDOUT = 73;
  const CLOSE_NORMAL = 1000;
  const ops = SOCKFS.websocket_sock_ops;
  const createPeer = ops.createPeer;
  net.refusals = {};
  ops.createPeer = function (sock, addr, port) {
    if (typeof addr === 'object') return createPeer.call(this, sock, addr, port); // accept()
    if (!net.on || !net.port) {
      net.refusals[`${addr}:${port}`] = 'networking is off';
      throw new FS.ErrnoError(ECONNREFUSED);
    }
    const saved = SOCKFS.websocketArgs.url;
    const token = encodeURIComponent(`${net.secret}@${addr}:${port}`);
    SOCKFS.websocketArgs.url = `ws://127.0.0.1:${net.port}/?token=${token}`;
    let peer;
    try {
      peer = createPeer.call(this, sock, addr, port);
    } finally {
      SOCKFS.websocketArgs.url = saved;
    }
    net.lastSock = sock;
    const ws = peer.socket;
    const key = `${addr}:${port}`;
    delete net.refusals[key];
    let opened = false;
    const refused = () => {
      // The proxy refuses the upgrade when the target refuses, is blocked, or the token is
      // bad; webR may report that as a close (1006) without an error event.
      ws.readyState = 3;
      if (ws.__wdTimedOut) return; // our own close after R's timeout: the reason stays "timed out"
      sock.error = ECONNREFUSED;
      net.refusals[key] = net.policy === 'all' ? 'connection refused'
        : 'connection refused or blocked by the network policy';
    };
    const reset = (why) => {
      ws.readyState = 3;
      sock.__wdReset = true; // recv() fails with ECONNRESET once the queued bytes are read
      net.refusals[key] = why;
    };
    ws.addEventListener('open', () => { opened = true; });
    ws.addEventListener('error', () => { if (!opened) refused(); else reset('connection reset'); });
    ws.addEventListener('close', (ev) => {
      if (!opened) return refused();
      ws.readyState = 3; // CLOSED: poll() reports readable, recv() returns EOF
      if (ev.code === 4403) net.refusals[key] = ev.reason || 'blocked by the network policy';
      else if (ev.code !== CLOSE_NORMAL) reset(`connection reset (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`);
    });
    return peer;
  };

  // Blocking sockets. Every R socket is O_NONBLOCK underneath; R emulates blocking reads by
  // select()ing before recv(), and Emscripten's poll never waits (it ignores its timeout, and
  // WebSocket events reach SOCKFS only while something calls webR's handleEvents). So:
  // - a CONNECTING socket's poll pumps webR's events until it opens or fails (any socket);
  // - a socket R opened with blocking = TRUE (marked by .wd.net_mark_blocking) reports
  //   readable, and its recv() pumps events until data, EOF or R's timeout.
  // An interrupt arriving while we pump is delivered by handleEvents itself (Rf_onintr).
  const POLLIN = 1 | 64;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const peerOf = (sock) => sock.type === 1 && ops.getPeer(sock, sock.daddr, sock.dport);
  // event_channel.js's pump also drains every few ms with webR's "events queued" flag clear,
  // since that flag can be lost; without it (no SharedArrayBuffer) handleEvents is all there is.
  const events = globalThis.__wdEvents || { pump: () => Module.webr.handleEvents() };
  const FORCE_DRAIN_MS = 5;
  const pumpUntil = (done, ms) => {
    const end = performance.now() + ms;
    for (;;) {
      events.pump(FORCE_DRAIN_MS);
      if (done()) return true;
      if (performance.now() >= end) return false;
      Atomics.wait(nap, 0, 0, 0.2);
    }
  };
  net.connectTimeoutMs = net.connectTimeoutMs || 60000;
  // This Emscripten's connect() returns at once with the WebSocket still CONNECTING, so R
  // would call a refused port "connected". Wait for the outcome: success, ECONNREFUSED, or
  // ETIMEDOUT after R's timeout (socketConnection(timeout =) sets net.connectTimeoutMs).
  const connect = ops.connect;
  ops.connect = function (sock, addr, port) {
    const result = connect.apply(this, arguments);
    const peer = peerOf(sock);
    if (peer) {
      if (!pumpUntil(() => peer.socket.readyState !== 0, net.connectTimeoutMs)) {
        net.refusals[`${addr}:${port}`] = `timed out after ${net.connectTimeoutMs / 1000} s`;
        sock.error = ETIMEDOUT;
        peer.socket.__wdTimedOut = true;
        peer.socket.close();
        peer.socket.readyState = 3;
      }
      if (peer.socket.readyState !== 1) throw new FS.ErrnoError(sock.error || ECONNREFUSED);
    }
    return result;
  };
  const poll = ops.poll;
  ops.poll = function (sock) {
    const peer = peerOf(sock);
    if (peer && peer.socket.readyState === 0) {
      pumpUntil(() => peer.socket.readyState !== 0, net.connectTimeoutMs);
    }
    let mask = poll.apply(this, arguments);
    if (sock.__wdBlockMs && peer && peer.socket.readyState === 1) mask |= POLLIN;
    return mask;
  };
  const recvmsg = ops.recvmsg;
  ops.recvmsg = function (sock) {
    const peer = peerOf(sock);
    if (sock.__wdBlockMs && peer && !sock.recv_queue.length) {
      const ready = pumpUntil(() => sock.recv_queue.length > 0 || peer.socket.readyState > 1, sock.__wdBlockMs);
      // R's own blocking read reports a timeout as 0 bytes (R_SockRead), so readBin and
      // readLines return what they have. With EAGAIN instead, R's read never returned.
      if (!ready) return null;
    }
    if (sock.__wdReset && peer && !sock.recv_queue.length) throw new FS.ErrnoError(ECONNRESET);
    return recvmsg.apply(this, arguments);
  };
  // R's socketConnection tags the socket it just opened with its connection number (and, for a
  // blocking one, R's timeout), so R can ask later why a read ended short.
  net.byCon = {};
  net.tag = (con, blockMs) => {
    if (net.lastSock) {
      if (blockMs > 0) net.lastSock.__wdBlockMs = blockMs;
      net.byCon[con] = net.lastSock;
    }
    net.lastSock = null;
    return 0;
  };
  // "" unless connection `con`'s socket ended abnormally: then why (R's readers raise it).
  net.resetOf = (con) => {
    const sock = net.byCon[con];
    if (!sock || !sock.__wdReset) return '';
    return net.refusals[`${sock.daddr}:${sock.dport}`] || 'connection reset';
  };
  net.installed = true;
  return 0;
})();
0;
