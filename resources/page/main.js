// Boots webR inside the hidden page and connects it to Python over QWebChannel.
// Python -> page: bridge.sig_command(json) with {op: 'write'|'eval'|'interrupt', ...}.
// Page -> Python: bridge.deliver(json) with {kind: 'ready'|'messages'|'reply'|'failed', ...}.
import { WebR, ChannelType } from '../webr/webr.js';
import { OutputPump } from './output_pump.js';
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

async function evalToJson(webR, code) {
  const obj = await webR.evalR(code);
  try {
    return toPlainValue(await obj.toJs());
  } finally {
    webR.destroy(obj);
  }
}

async function main() {
  const bridge = await connectBridge();
  const deliver = (payload) => bridge.deliver(JSON.stringify(payload));
  window.addEventListener('unhandledrejection', (ev) => console.error('unhandled:', errorText(ev.reason)));

  const isolated = self.crossOriginIsolated === true;
  const webR = new WebR({
    baseUrl: new URL('../webr/', location.href).href,
    channelType: isolated ? ChannelType.SharedArrayBuffer : ChannelType.PostMessage,
    interactive: true,
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
      case 'eval':
        evalToJson(webR, cmd.code).then(
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
  await new OutputPump(webR, (messages) => deliver({ kind: 'messages', messages })).run();
}

main().catch((err) => console.error('webR Desktop page failed:', errorText(err)));
