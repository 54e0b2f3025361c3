// Command webbuild builds the browser app into a folder that works from any
// static server: it compiles wasm/ui and wasm/worker for GOOS=js GOARCH=wasm,
// names the .wasm files by their content hash (so a stale cache never pairs
// an old file with a new one), copies the toolchain's wasm_exec.js (it must
// match the compiler) and writes build.json, which the boot script reads, and
// sw.js, the service worker that caches exactly this build (see sw.go).
//
//	go run ./wasm/tools/webbuild [-out www]
//
// With -out other than www, the static files of www/ are copied there too.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("out", "www", "output folder")
	src := flag.String("www", "www", "folder of the static files")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("webbuild: ")
	if err := build(*src, *out); err != nil {
		log.Fatal(err)
	}
}

func build(src, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	same, err := sameDir(src, out)
	if err != nil {
		return err
	}
	if !same {
		if err := copyStatic(src, out); err != nil {
			return err
		}
	}
	// Old builds go first, so the folder holds one pair only.
	old, _ := filepath.Glob(filepath.Join(out, "otce-*.wasm"))
	for _, f := range old {
		os.Remove(f)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %w", err)
	}
	execJS, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "wasm_exec.js"), execJS, 0o644); err != nil {
		return err
	}
	manifest := map[string]string{}
	all := sha256.New()
	all.Write(execJS)
	for _, part := range []string{"ui", "worker"} {
		tmp := filepath.Join(out, ".otce-"+part+".wasm.tmp")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", tmp, "./wasm/"+part)
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("building wasm/%s: %w", part, err)
		}
		data, err := os.ReadFile(tmp)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		all.Write(sum[:])
		name := fmt.Sprintf("otce-%s.%s.wasm", part, hex.EncodeToString(sum[:6]))
		if err := os.Rename(tmp, filepath.Join(out, name)); err != nil {
			return err
		}
		manifest[part] = name
		fmt.Printf("webbuild: %s/%s (%.1f MB)\n", out, name, float64(len(data))/(1<<20))
	}
	manifest["hash"] = hex.EncodeToString(all.Sum(nil)[:6])
	goVersion, _ := exec.Command("go", "env", "GOVERSION").Output()
	manifest["go"] = strings.TrimSpace(string(goVersion))
	b, _ := json.MarshalIndent(manifest, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "build.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return writeServiceWorker(out)
}

func sameDir(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// copyStatic copies the committed files of www/ (not the build products).
func copyStatic(src, out string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(out, rel), 0o755)
		}
		base := filepath.Base(p)
		if strings.HasSuffix(base, ".wasm") || base == "wasm_exec.js" || base == "build.json" || base == "sw.js" || strings.HasPrefix(base, ".") {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		o, err := os.Create(filepath.Join(out, rel))
		if err != nil {
			return err
		}
		if _, err := io.Copy(o, in); err != nil {
			o.Close()
			return err
		}
		return o.Close()
	})
}
