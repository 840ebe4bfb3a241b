// Baseline page for the benchmarks: raw webR in the same engine, nothing of webR Desktop.
// Start-up: document.title becomes 'webr-ready' as soon as webR.init() resolves, then
// 'webr-answered' once webR.evalRNumber('0') answered (the first command).
// If Python set a web channel (and injected qwebchannel.js), a tiny bridge object `bench`
// serves requests: bench.sig_request(id, op, code) -> bench.reply(id, value, jsMs, firstMs).
//   op 'eval':  value = await webR.evalRNumber(code)
//   op 'flood': webR.writeConsole(code), read output until the next prompt, value = number
//               of stdout messages (the raw capture a console would have to show), firstMs =
//               when the first stdout message was read.
//   op 'view':  webR.writeConsole(code) (e.g. View(df)), read until webR's own `view` message,
//               pass its data to Python as JSON text (bench.text), value = its length.
import { WebR } from './webr/webr.js';

const webR = new WebR({ baseUrl: new URL('./webr/', location.href).href, interactive: true });

function connectBridge() {
  return new Promise((resolve) => {
    new QWebChannel(qt.webChannelTransport, (channel) => resolve(channel.objects.bench));
  });
}

/** Read console output until R prompts again; returns [stdout message count, time of the first]. */
async function readUntilPrompt() {
  let stdout = 0;
  let first = NaN;
  for (;;) {
    const msg = await webR.read();
    if (msg.type === 'stdout') {
      if (stdout === 0) first = performance.now();
      stdout += 1;
    } else if (msg.type === 'prompt') {
      return [stdout, first];
    }
  }
}

/** Read console output until webR's own View() message; returns its data as JSON text. */
async function readUntilView() {
  for (;;) {
    const msg = await webR.read();
    if (msg.type === 'view') return JSON.stringify(msg.data);
    if (msg.type === 'prompt') throw new Error('R prompted without a view message');
  }
}

async function handle(bench, id, op, code) {
  const t0 = performance.now();
  let value = NaN;
  let first = NaN;
  try {
    if (op === 'eval') {
      value = await webR.evalRNumber(code);
    } else if (op === 'flood') {
      webR.writeConsole(code);
      [value, first] = await readUntilPrompt();
    } else if (op === 'view') {
      webR.writeConsole(code);
      const json = await readUntilView();
      bench.text(id, json);
      value = json.length;
      await readUntilPrompt();
    } else {
      console.error(`bare page: unknown op ${op}`);
    }
  } catch (err) {
    console.error(`bare page: ${op} failed: ${err && err.message ? err.message : err}`);
  }
  bench.reply(id, value, performance.now() - t0, Number.isNaN(first) ? -1 : first - t0);
}

async function main() {
  await webR.init();
  document.title = 'webr-ready';
  if (typeof qt === 'undefined' || !qt.webChannelTransport) {
    // start-up run: then a first command answered, as the app's start-up run does
    await webR.evalRNumber('0');
    document.title = 'webr-answered';
    return;
  }
  await readUntilPrompt(); // R's first prompt: the console is now idle
  const bench = await connectBridge();
  bench.sig_request.connect((id, op, code) => { handle(bench, id, op, code); });
  bench.ready();
}

main().catch((err) => console.error(`bare page failed: ${err && err.message ? err.message : err}`));
