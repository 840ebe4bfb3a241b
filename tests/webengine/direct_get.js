// Test helper, run in the webR worker: what hostile R code can do with webr::eval_js: a
// synchronous GET straight from the worker, past the app's routing (networking off: the
// routing passes requests through). Defines __wdTestDirect(url) → "STATUS" or "error NAME".
globalThis.__wdTestDirect = (target) => {
  try {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', target, false);
    xhr.send();
    return `${xhr.status}`;
  } catch (e) {
    return `error ${e.name}`;
  }
};
0;
