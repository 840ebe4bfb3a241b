// HTML from R with networking off: a request to another loopback server must be blocked.
// window.TARGETS = {other: 'http://127.0.0.1:P/'} comes from targets.js.
document.addEventListener('DOMContentLoaded', () => {
  const out = document.getElementById('out');
  fetch(window.TARGETS.other, { mode: 'no-cors' }).then(
    () => { out.textContent = 'reached'; },
    () => { out.textContent = 'blocked'; },
  );
});
