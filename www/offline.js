// Offline use: registers the service worker (sw.js, written by webbuild for
// each build), which caches exactly the files of the current build, so that
// after one visit the page and its workers work with no network.
//
// When a new build has been installed next to the running one, the page says
// so and offers a reload: the new worker takes over, deletes the old build's
// cache, and the page starts again on the new build. Nothing switches under a
// page that is working.
//
// <html data-offline="…"> tells the state: "unsupported", "installing",
// "ready" (this page is served by the worker and the build is cached),
// "update" (a new build is waiting) or "error".
"use strict";

(function () {
  const root = document.documentElement;
  const say = (s) => { root.dataset.offline = s; };
  if (!("serviceWorker" in navigator) || !window.isSecureContext) {
    say("unsupported");
    return;
  }
  const sw = navigator.serviceWorker;
  let reloading = false;

  function offerUpdate(reg) {
    say("update");
    const box = document.getElementById("update-banner");
    const btn = document.getElementById("update-reload");
    if (!box || !btn) return;
    box.hidden = false;
    btn.addEventListener("click", () => {
      reloading = true;
      btn.disabled = true;
      if (reg.waiting) reg.waiting.postMessage("skipWaiting");
    }, { once: true });
  }

  sw.addEventListener("controllerchange", () => {
    if (reloading) {
      location.reload();
      return;
    }
    // First visit: the new worker claimed this page.
    sw.ready.then(() => { if (root.dataset.offline !== "update") say("ready"); });
  });

  say("installing");
  sw.register("sw.js", { updateViaCache: "none" }).then((reg) => {
    const watch = (w) => {
      if (!w) return;
      w.addEventListener("statechange", () => {
        if (w.state === "installed" && sw.controller) offerUpdate(reg);
      });
    };
    if (reg.waiting && sw.controller) offerUpdate(reg);
    watch(reg.installing);
    reg.addEventListener("updatefound", () => watch(reg.installing));
    return sw.ready;
  }).then(() => {
    if (sw.controller && root.dataset.offline === "installing") say("ready");
  }).catch((err) => {
    say("error");
    console.warn("offline use unavailable: " + (err && err.message ? err.message : err));
  });
})();
