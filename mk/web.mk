# The browser app (issue 4). Included by the main Makefile.
#   make web      build www/ (content-hashed .wasm, wasm_exec.js, build.json)
#   make serve    build, then serve www/ on 127.0.0.1 and print the URL
#   make e2e      the end-to-end test in headless Chromium (builds everything itself)
#   make web-screenshot  refresh e2e/screenshot.png (the README's picture)
WEB_ADDR ?= 127.0.0.1:8080

.PHONY: web serve e2e web-screenshot web-clean

web:
	$(GO) run ./wasm/tools/webbuild -out www

serve: web
	$(GO) run ./wasm/tools/serve -dir www -addr $(WEB_ADDR)

e2e:
	$(GO) test -count=1 -timeout 40m -v ./e2e/

web-screenshot:
	OTCE_E2E_SCREENSHOT=e2e/screenshot.png $(GO) test -count=1 -timeout 20m -run 'TestBrowser$$' ./e2e/

web-clean:
	rm -f www/otce-*.wasm www/wasm_exec.js www/build.json www/sw.js
	rm -rf build/e2e
