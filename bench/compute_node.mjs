// Raw webR under Node for bench/compute.py: the same webR build the app uses (wasm/dist) and
// nothing of the app. It evaluates one R file (the workload's definitions), then acts as a
// console over stdio: each line read from stdin is written to R's console as a user would type
// it, and R's stdout lines are copied to our stdout until R prompts again, followed by one
// line `wd-prompt`. Usage: node compute_node.mjs DIST_DIR DEFS.R
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

// Node 20 has no WebSocket and webR's channel asks for one only for R's sockets: none here.
globalThis.WebSocket ??= class { constructor() { throw new Error('no network in the compute runner'); } };

const [distArg, defsPath] = process.argv.slice(2);
const dist = path.resolve(distArg) + '/';
const { WebR } = await import(path.join(dist, 'webr.mjs'));
const webR = new WebR({ baseUrl: dist });  // interactive, as the app's console is
await webR.init();
await webR.evalRVoid(fs.readFileSync(defsPath, 'utf8'));

async function untilPrompt() {
  for (;;) {
    const msg = await webR.read();
    if (msg.type === 'stdout') process.stdout.write(msg.data + '\n');
    else if (msg.type === 'stderr') process.stderr.write(msg.data + '\n');
    else if (msg.type === 'prompt') return;
  }
}

await untilPrompt();  // R's first prompt
process.stdout.write('wd-prompt\n');
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  webR.writeConsole(line);
  await untilPrompt();
  process.stdout.write('wd-prompt\n');
}
webR.close();
process.exit(0);
