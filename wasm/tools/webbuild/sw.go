package main

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// swTemplate is the service worker; the text between /*BUILD*/ and /*END*/
// is replaced by the build's version and file list.
//
//go:embed sw.js
var swTemplate []byte

// swBuild is what the service worker knows of the build it serves.
type swBuild struct {
	// Version is a hash of the names and contents of Files: any change to
	// any file of the site gives a new version, hence a new sw.js.
	Version string `json:"version"`
	// Files are the site's files, relative to the folder, sorted.
	Files []string `json:"files"`
}

// siteFiles lists the files of the built site that the service worker
// caches: every file in out but sw.js itself and hidden (dot) files.
func siteFiles(out string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		if rel != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || rel == "sw.js" {
			return nil
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(files)
	return files, err
}

// serviceWorker returns sw.js for the site in out.
func serviceWorker(out string) ([]byte, swBuild, error) {
	files, err := siteFiles(out)
	if err != nil {
		return nil, swBuild{}, err
	}
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(f)))
		if err != nil {
			return nil, swBuild{}, err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(h, "%s\x00%x\n", f, sum)
	}
	h.Write(swTemplate)
	b := swBuild{Version: hex.EncodeToString(h.Sum(nil)[:8]), Files: files}
	js, err := json.Marshal(b)
	if err != nil {
		return nil, b, err
	}
	start := bytes.Index(swTemplate, []byte("/*BUILD*/"))
	end := bytes.Index(swTemplate, []byte("/*END*/"))
	if start < 0 || end < start {
		return nil, b, fmt.Errorf("sw.js template has no /*BUILD*/ … /*END*/ marker")
	}
	var buf bytes.Buffer
	buf.Write(swTemplate[:start])
	buf.Write(js)
	buf.Write(swTemplate[end+len("/*END*/"):])
	return buf.Bytes(), b, nil
}

// writeServiceWorker writes out/sw.js for the site in out.
func writeServiceWorker(out string) error {
	data, b, err := serviceWorker(out)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "sw.js"), data, 0o644); err != nil {
		return err
	}
	fmt.Printf("webbuild: %s/sw.js caches %d files (version %s)\n", out, len(b.Files), b.Version)
	return nil
}
