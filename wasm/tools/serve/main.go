// Command serve serves a folder (the built www/) on 127.0.0.1 as a plain
// static server would, with the .wasm MIME type, and prints the URL.
//
//	go run ./wasm/tools/serve [-dir www] [-addr 127.0.0.1:8080]
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", "www", "folder to serve")
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on (port 0: any free port)")
	flag.Parse()
	if _, err := os.Stat(filepath.Join(*dir, "build.json")); err != nil {
		log.Fatalf("serve: %s has no build.json: build it first (make web)", *dir)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("serving %s at http://%s/ (Ctrl-C stops)\n", *dir, ln.Addr())
	log.Fatal(http.Serve(ln, Handler(*dir)))
}
