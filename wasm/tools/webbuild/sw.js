// The page's service worker: after one visit the app works with no network.
//
// webbuild writes this file to www/sw.js with BUILD replaced by the current
// build: its version (a hash of every file it lists) and the list of files.
// A new build therefore changes this script's bytes, which is what makes the
// browser install the new worker; the new worker caches exactly the new
// build's files in a cache named after its version and, when it takes over,
// deletes every other otce cache. Until then the old worker keeps serving the
// old build whole (never a mix of old and new files); the page offers a
// reload (www/offline.js) that hands over at once.
//
// Only same-origin GET requests are answered; anything else is not touched,
// so the page's Content-Security-Policy keeps deciding what may be loaded.
"use strict";

const BUILD = /*BUILD*/ { version: "dev", files: [] } /*END*/;
const PREFIX = "otce-";
const CACHE = PREFIX + BUILD.version;
const SCOPE = new URL("./", self.registration.scope).href;

// urlOf is the URL a file of the build is cached under: the page itself
// under the folder's URL, the address it is visited at (static servers may
// answer index.html with a redirect to the folder).
const urlOf = (f) => f === "index.html" ? SCOPE : new URL(f, SCOPE).href;

self.addEventListener("install", (event) => {
  // cache: "reload" bypasses the HTTP cache, so a stale copy of a file can
  // never enter the new build's cache. All or nothing: if one download
  // fails, the new cache is dropped and the old worker stays in charge.
  event.waitUntil(caches.open(CACHE).then((c) => Promise.all(BUILD.files.map(async (f) => {
    const url = urlOf(f);
    const res = await fetch(new Request(url, { cache: "reload" }));
    if (!res.ok) throw new Error(url + ": HTTP " + res.status);
    // A redirected response may not answer a navigation: store a plain copy.
    const clean = res.redirected ? new Response(await res.blob(), { status: res.status, statusText: res.statusText, headers: res.headers }) : res;
    await c.put(url, clean);
  }))).catch((err) => caches.delete(CACHE).then(() => { throw err; })));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  if (event.data === "skipWaiting") self.skipWaiting();
  if (event.data === "version" && event.source) event.source.postMessage({ swVersion: BUILD.version });
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || !url.href.startsWith(SCOPE)) return;
  // The folder and index.html are the same page; the query string (cache
  // busting: ?v=hash) never selects another file.
  let key = url.origin + url.pathname;
  if (key === SCOPE + "index.html") key = SCOPE;
  event.respondWith(caches.open(CACHE)
    .then((c) => c.match(key))
    .then((hit) => hit || fetch(req)));
});
