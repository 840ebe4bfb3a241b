// Boots webR inside the hidden page and connects it to Python over QWebChannel.
// Python -> page: bridge.sig_command(json) with {op: 'write'|'eval'|'interrupt', ...}.
// Page -> Python: bridge.deliver(json) with {kind: 'ready'|'messages'|'reply'|'failed', ...}.
import { WebR, ChannelType } from '../webr/webr.js';
import { OutputPump } from './output_pump.js';
import { PlotCompositor } from './plots.js';
import { toPlainValue } from './to_json.js';

function connectBridge() {
  return new Promise((resolve) => {
    // qwebchannel.js is injected by Python at document creation.
    new QWebChannel(qt.webChannelTransport, (channel) => resolve(channel.objects.bridge));
  });
}

function errorText(err) {
  return err && err.message ? err.message : String(err);
}

// captureStreams off: webR's capture sinks the message stream and then resets it to stderr,
// which would undo a message sink the user set (sink(con, type = "message")). The app's evals
// print nothing; their errors, warnings and messages are still caught as conditions.
async function evalToJson(webR, code) {
  const obj = await webR.evalR(code, { captureStreams: false });
  try {
    return toPlainValue(await obj.toJs());
  } finally {
    webR.destroy(obj);
  }
}

// Binary data (exported files, quick-plot arrays) goes to Python as raw bytes over a POST to
// our server, not as text through QWebChannel; Python takes it by id.
async function uploadBlob(bytes) {
  const id = crypto.randomUUID();
  const res = await fetch(new URL('../api/blob', location.href), {
    method: 'POST',
    headers: { 'X-Blob-Id': id, 'Content-Type': 'application/octet-stream' },
    body: bytes,
  });
  if (!res.ok) throw new Error(`blob upload failed: HTTP ${res.status}`);
  return id;
}

// Evaluate R code that returns the path of a file in webR's file system; the file's bytes
// go to Python and the file is removed.
async function evalFile(webR, code) {
  const path = await evalToJson(webR, code);
  if (typeof path !== 'string') throw new Error('R did not return a file path');
  return readFile(webR, path);
}

// The bytes of a file in webR's file system (removed after): served by the worker even when
// R itself can no longer evaluate (`run`'s plot files, written as R ends).
async function readFile(webR, path) {
  const bytes = await webR.FS.readFile(path);
  await webR.FS.unlink(path).catch(() => {});
  return { blob: await uploadBlob(bytes), size: bytes.length };
}

async function main() {
  const bridge = await connectBridge();
  const deliver = (payload) => bridge.deliver(JSON.stringify(payload));
  window.addEventListener('unhandledrejection', (ev) => console.error('unhandled:', errorText(ev.reason)));

  const isolated = self.crossOriginIsolated === true;
  // ?mode=script (`webr-desktop run`): R non-interactive with --no-echo, as Rscript runs it;
  // the script reaches R's REPL through stdin (resources/worker/script_stdin.js).
  const script = new URLSearchParams(location.search).get('mode') === 'script';
  const webR = new WebR({
    baseUrl: new URL('../webr/', location.href).href,
    channelType: isolated ? ChannelType.SharedArrayBuffer : ChannelType.PostMessage,
    interactive: !script,
    ...(script ? { RArgs: ['--no-echo', '--quiet'] } : {}),
  });

  bridge.sig_command.connect((json) => {
    const cmd = JSON.parse(json);
    switch (cmd.op) {
      case 'write':
        webR.writeConsole(cmd.text);
        break;
      case 'interrupt':
        webR.interrupt();
        break;
      case 'read_file':
        readFile(webR, cmd.code).then(
          (value) => deliver({ kind: 'reply', id: cmd.id, ok: true, value }),
          (err) => deliver({ kind: 'reply', id: cmd.id, ok: false, error: errorText(err) }),
        );
        break;
      case 'eval':
      case 'eval_file':
        (cmd.op === 'eval' ? evalToJson : evalFile)(webR, cmd.code).then(
          (value) => deliver({ kind: 'reply', id: cmd.id, ok: true, value }),
          (err) => deliver({ kind: 'reply', id: cmd.id, ok: false, error: errorText(err) }),
        );
        break;
      default:
        console.error(`unknown command op: ${cmd.op}`);
    }
  });

  try {
    await webR.init();
  } catch (err) {
    deliver({ kind: 'failed', error: errorText(err) });
    return;
  }
  deliver({
    kind: 'ready',
    webr_version: webR.version,
    r_version: webR.versionR,
    channel: isolated ? 'SharedArrayBuffer' : 'PostMessage',
    isolated,
  });
  let pump = null;
  const plots = new PlotCompositor((msg) => pump.push(msg));
  const handlers = {
    // quick_plot() in R: the data arrives as bytes from the worker; Python gets them by id.
    'wd-quickplot': (data) => {
      uploadBlob(data.bytes).then(
        (blob) => pump.push({ type: 'quickplot', data: { meta: data.meta, blob } }),
        (err) => pump.push({ type: 'stderr', data: `quick_plot: ${errorText(err)}` }),
      );
    },
  };
  pump = new OutputPump(webR, (messages) => deliver({ kind: 'messages', messages }), plots, handlers);
  await pump.run();
}

main().catch((err) => console.error('webR Desktop page failed:', errorText(err)));
