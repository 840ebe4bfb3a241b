// Runs an R script in raw webR under Node, as Rscript would run it: the same webR build the
// app uses (wasm/dist), started non-interactive with --no-echo, and no app code at all. The
// script reaches R's own REPL through standard input (resources/worker/script_stdin.js, the
// input plumbing `webr-desktop run` uses too). R's stdout and stderr go to ours; our exit
// status is R's. Usage: node raw_webr.mjs DIST_DIR SCRIPT.R [TIMEOUT_S]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Node 20 has no WebSocket and webR's channel asks for one only for R's sockets: none here.
globalThis.WebSocket ??= class { constructor() { throw new Error('no network in the conformance runner'); } };

const [distArg, scriptPath, timeoutArg] = process.argv.slice(2);
const dist = path.resolve(distArg) + '/';
const here = path.dirname(fileURLToPath(import.meta.url));
const patch = fs.readFileSync(path.join(here, '../../resources/worker/script_stdin.js'), 'utf8');
const script = fs.readFileSync(scriptPath, 'utf8');
const timeout = setTimeout(() => {
  process.stderr.write('raw_webr: timed out\n');
  process.exit(124);
}, 1000 * Number(timeoutArg || 300));

const { WebR } = await import(path.join(dist, 'webr.mjs'));
const webR = new WebR({ baseUrl: dist, interactive: false, RArgs: ['--no-echo', '--quiet'] });
await webR.init();
// R's exit code reaches the worker's process.exitCode (Emscripten's quit_ under Node) only as
// R ends: read it on the next tick.
const finalizer = `reg.finalizer(globalenv(), function(e) webr::eval_js(
  "globalThis.__wdScript.flush(); setTimeout(() => Module.webr.channel.write({type: 'wd-raw-exit', data: {status: process.exitCode ?? 0}}), 0); 0"
), onexit = TRUE); invisible(webr::eval_js(patch))`;
await webR.evalRVoid(finalizer, { env: { patch } });
webR.writeConsole(''); // webR's first read is its interactive one
const lines = script.split('\n');
if (lines[lines.length - 1] === '') lines.pop();
for (const line of lines) webR.writeConsole(line);
webR.writeConsole('\u0004');
for (;;) {
  const msg = await webR.read();
  if (msg.type === 'stdout') process.stdout.write(msg.data + '\n');
  else if (msg.type === 'stderr') process.stderr.write(msg.data + '\n');
  else if (msg.type === 'wd-raw-exit') {
    clearTimeout(timeout);
    process.stdout.write('', () => process.stderr.write('', () => process.exit(msg.data.status)));
    break;
  }
}
