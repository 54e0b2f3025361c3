package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeSite(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// embedded extracts the build object that sw.js carries.
func embedded(t *testing.T, sw []byte) swBuild {
	t.Helper()
	s := string(sw)
	i := strings.Index(s, "const BUILD = ")
	j := strings.Index(s[i:], ";\n")
	if i < 0 || j < 0 {
		t.Fatalf("no BUILD constant in sw.js:\n%s", s)
	}
	var b swBuild
	if err := json.Unmarshal([]byte(strings.TrimSpace(s[i+len("const BUILD = "):i+j])), &b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServiceWorkerListsExactlyTheSite(t *testing.T) {
	dir := writeSite(t, map[string]string{
		"index.html": "<p>", "boot.js": "1", "otce-ui.abc.wasm": "w", "build.json": "{}",
		"demo/a.npy": "x", "sw.js": "old", ".otce-ui.wasm.tmp": "partial", ".git/x": "y",
	})
	if err := writeServiceWorker(dir); err != nil {
		t.Fatal(err)
	}
	sw, err := os.ReadFile(filepath.Join(dir, "sw.js"))
	if err != nil {
		t.Fatal(err)
	}
	b := embedded(t, sw)
	want := []string{"boot.js", "build.json", "demo/a.npy", "index.html", "otce-ui.abc.wasm"}
	if !reflect.DeepEqual(b.Files, want) {
		t.Errorf("files %v, want %v", b.Files, want)
	}
	if strings.Contains(string(sw), "/*BUILD*/") || !strings.Contains(string(sw), `addEventListener("fetch"`) {
		t.Error("the template was not filled in")
	}
	// Writing again gives the same script (sw.js is not one of its files).
	if err := writeServiceWorker(dir); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, "sw.js"))
	if string(again) != string(sw) {
		t.Error("sw.js changed though the site did not")
	}
}

func TestServiceWorkerVersionFollowsContent(t *testing.T) {
	site := map[string]string{"index.html": "<p>", "style.css": "a{}"}
	v := func(files map[string]string) string {
		_, b, err := serviceWorker(writeSite(t, files))
		if err != nil {
			t.Fatal(err)
		}
		return b.Version
	}
	base := v(site)
	if v(site) != base {
		t.Error("the same site gives two versions")
	}
	changed := map[string]string{"index.html": "<p>", "style.css": "a{color:red}"}
	if v(changed) == base {
		t.Error("a changed file keeps the version")
	}
	renamed := map[string]string{"index.html": "<p>", "main.css": "a{}"}
	if v(renamed) == base {
		t.Error("a renamed file keeps the version")
	}
}
