// Boot: load the build manifest, the Go runtime glue and the page's wasm, and
// give the Go page a way to start workers. Everything is loaded from this
// origin by relative URLs, so the folder works from any static server.
"use strict";

(function () {
  const status = () => document.getElementById("boot-status");

  function fail(err) {
    const el = status();
    const msg = "The app could not start: " + (err && err.message ? err.message : err);
    if (el) {
      el.textContent = msg;
      el.className = "error";
    }
    document.body.dataset.state = "broken";
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = () => reject(new Error("cannot load " + src));
      document.head.appendChild(s);
    });
  }

  // compile fetches and compiles a .wasm file; a server that does not send
  // application/wasm still works (slower path).
  async function compile(url) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(url + ": HTTP " + res.status);
    if (WebAssembly.compileStreaming && (res.headers.get("Content-Type") || "").startsWith("application/wasm")) {
      return WebAssembly.compileStreaming(res);
    }
    return WebAssembly.compile(await res.arrayBuffer());
  }

  async function boot() {
    const res = await fetch("build.json", { cache: "no-cache" });
    if (!res.ok) throw new Error("build.json: HTTP " + res.status + " (build the page with `make web`)");
    const build = await res.json();
    const v = "?v=" + encodeURIComponent(build.hash);
    await loadScript("wasm_exec.js" + v);
    const abs = (p) => new URL(p, document.baseURI).href;
    const workerModule = compile(build.worker);
    // Keep the promise handled: a failure is reported when a worker is needed.
    workerModule.catch(() => {});
    const bootstrap = "importScripts(" + JSON.stringify(abs("wasm_exec.js" + v)) + ", " +
      JSON.stringify(abs("worker.js" + v)) + ");";

    globalThis.otceBoot = {
      build: build,
      workerModule: workerModule,
      // newWorker starts a worker from a blob: bootstrap (so that the page's
      // Content-Security-Policy governs it) and hands it the compiled module.
      newWorker(module, name) {
        const url = URL.createObjectURL(new Blob([bootstrap], { type: "text/javascript" }));
        const w = new Worker(url, { name: name });
        w.postMessage({ boot: module });
        setTimeout(() => URL.revokeObjectURL(url), 60000);
        return w;
      },
    };

    const go = new Go();
    const ui = await WebAssembly.instantiate(await compile(build.ui), go.importObject);
    go.run(ui).then(() => fail(new Error("the page's Go program stopped")));
  }

  boot().catch(fail);
})();
