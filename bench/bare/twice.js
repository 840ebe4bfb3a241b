// Three webR.init() calls one after another in one page (bench/code_cache_bound.py).
// The first compiles R.wasm as every start does; the later ones find it compiled: V8 keeps a
// process-wide cache of compiled modules keyed by their bytes, and the renderer's memory HTTP
// cache has the assets. A later init is therefore the floor a persistent code cache could
// reach. document.title becomes JSON with each init's ms and the first one's time origin.
import { WebR } from './webr/webr.js';

const baseUrl = new URL('./webr/', location.href).href;

async function timedInit() {
  const t0 = performance.now();
  const webR = new WebR({ baseUrl, interactive: true });
  await webR.init();
  const ready = performance.now() - t0;
  await webR.evalRNumber('0');
  return { webR, ready, answered: performance.now() - t0 };
}

async function main() {
  const inits = [];
  const started = performance.now();
  for (let i = 0; i < 3; i += 1) {
    const { webR, ready, answered } = await timedInit();
    inits.push({ ready, answered });
    webR.close();
  }
  document.title = JSON.stringify({ page_to_first_init_ms: started, inits });
}

main().catch((err) => { document.title = JSON.stringify({ error: String(err && err.message ? err.message : err) }); });
