// Test helper, run in the webR worker: what hostile R code can do without the app's snippets:
// POST a request straight to the fetch service (its URL is readable from globalThis.__wdNet).
// Defines __wdTestPost(url) → "STATUS BODY" for a {"op": "get"} request.
globalThis.__wdTestPost = (target) => {
  const xhr = new XMLHttpRequest();
  xhr.open('POST', globalThis.__wdNet.fetchUrl, false);
  xhr.setRequestHeader('Content-Type', 'application/json');
  xhr.send(JSON.stringify({ op: 'get', url: target }));
  return `${xhr.status} ${xhr.responseText}`;
};
0;
