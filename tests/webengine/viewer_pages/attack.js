// Hostile HTML from R: tries to reach the app's page server, its secret-bearing endpoints and
// the websockify proxy. Each attempt records 'blocked' or what it managed to read.
// window.TARGETS = {app: 'http://127.0.0.1:P', proxy: 'ws://127.0.0.1:Q/'} comes from targets.js.
(() => {
  const results = {};
  const total = 5;
  const record = (name, value) => {
    results[name] = value;
    if (Object.keys(results).length === total) results.done = true;
    document.getElementById('results').textContent = JSON.stringify(results);
  };
  const read = async (name, url, init) => {
    try {
      const res = await fetch(url, init);
      record(name, `read ${res.status}: ${(await res.text()).slice(0, 80)}`);
    } catch (e) {
      record(name, 'blocked');
    }
  };
  const { app, proxy } = window.TARGETS;
  const body = JSON.stringify({ data: { method: 'readdir', path: 'host:' }, browsingContextId: 'guess' });
  document.addEventListener('DOMContentLoaded', () => {
    read('drive', `${app}/api/drive`, { method: 'POST', body });
    read('page', `${app}/`, {});
    read('fetch', `${app}/api/fetch`, { method: 'POST', body: '{}' });
    try {
      const xhr = new XMLHttpRequest();
      xhr.open('GET', `${app}/`, false);
      xhr.send();
      record('sync', `read ${xhr.status}: ${xhr.responseText.slice(0, 80)}`);
    } catch (e) {
      record('sync', 'blocked');
    }
    const ws = new WebSocket(`${proxy}?token=guess`, ['binary']);
    let opened = false;
    ws.onopen = () => { opened = true; record('proxy', 'opened'); ws.close(); };
    ws.onclose = () => { if (!opened) record('proxy', 'blocked'); };
  });
})();
