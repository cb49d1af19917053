// SPDX-License-Identifier: Apache-2.0
//
// tlogcheck: an independent verifier of what Hanko's ledger emits, built
// only on Go's golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's
// golang-golang-x-mod-dev). It shares no code with Hanko.
//
//	tlogcheck checkpoint VKEY CHECKPOINT
//	tlogcheck receipt VKEY RECEIPT
//	tlogcheck consistency VKEY OLD_CHECKPOINT PROOF
//	tlogcheck bundle VKEY DIR
//
// "bundle" reads a `hanko audit export` directory as a C2SP tlog-tiles
// client would: the checkpoint (note.Open), the hash tiles through
// tlog.TileHashReader (which authenticates every tile it reads against the
// signed tree), tlog.TreeHash against the root, every entry of every entry
// bundle against the leaf hash the tiles hold, an inclusion proof built
// from the tiles (tlog.ProveRecord / CheckRecord) for some leaves, and the
// manifest's SHA-256 of every file.
//
// Exit status 0 when the object verifies, 1 when it does not, 2 on usage.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogcheck: "+format+"\n", args...)
	os.Exit(1)
}

func read(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	return b
}

func verifier(vkey string) note.Verifiers {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad vkey:", err)
		os.Exit(2)
	}
	return note.VerifierList(v)
}

// openCheckpoint verifies a signed checkpoint note and parses its body.
func openCheckpoint(msg []byte, vs note.Verifiers) checkpoint {
	n, err := note.Open(msg, vs)
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		fail("checkpoint body has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		fail("checkpoint size %q", lines[1])
	}
	rb, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rb) != tlog.HashSize {
		fail("checkpoint root %q", lines[2])
	}
	var c checkpoint
	c.origin = lines[0]
	c.size = size
	copy(c.root[:], rb)
	if n.Sigs[0].Name != c.origin {
		fail("key name %q is not the origin %q", n.Sigs[0].Name, c.origin)
	}
	return c
}

// proofLines reads base64 hashes up to the empty line and returns the rest.
func proofLines(rest []byte) ([]tlog.Hash, []byte) {
	var hs []tlog.Hash
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			fail("proof not terminated by an empty line")
		}
		line := string(rest[:i])
		rest = rest[i+1:]
		if line == "" {
			return hs, rest
		}
		b, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(b) != tlog.HashSize {
			fail("proof line %q", line)
		}
		var h tlog.Hash
		copy(h[:], b)
		hs = append(hs, h)
	}
}

func nextLine(rest []byte) (string, []byte) {
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		fail("truncated")
	}
	return string(rest[:i]), rest[i+1:]
}

// tileDir reads tiles from a C2SP tlog-tiles directory: the sumdb path
// "tile/8/L/N" without the height element, "data" named "entries".
type tileDir struct{ dir string }

func (t tileDir) Height() int { return 8 }

func c2spPath(t tlog.Tile) string {
	p := strings.Replace(t.Path(), "tile/8/", "tile/", 1)
	return strings.Replace(p, "tile/data/", "tile/entries/", 1)
}

func (t tileDir) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tl := range tiles {
		b, err := os.ReadFile(t.dir + "/" + c2spPath(tl))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (t tileDir) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func bundle(vs note.Verifiers, dir string) {
	var man struct {
		Origin   string `json:"origin"`
		TreeSize int64  `json:"tree_size"`
		From     int64  `json:"from"`
		Files    map[string]struct {
			Sha256 string `json:"sha256"`
			Size   int64  `json:"size"`
		} `json:"files"`
	}
	if err := json.Unmarshal(read(dir+"/manifest.json"), &man); err != nil {
		fail("manifest: %v", err)
	}
	for name, f := range man.Files {
		d := sha256.Sum256(read(dir + "/" + name))
		if hex.EncodeToString(d[:]) != f.Sha256 {
			fail("manifest: %s altered", name)
		}
	}
	c := openCheckpoint(read(dir+"/checkpoint"), vs)
	if c.origin != man.Origin || c.size != man.TreeSize {
		fail("manifest and checkpoint disagree")
	}
	hr := tlog.TileHashReader(tlog.Tree{N: c.size, Hash: c.root}, tileDir{dir})
	root, err := tlog.TreeHash(c.size, hr)
	if err != nil || root != c.root {
		fail("tree hash from the tiles: %v", err)
	}
	entries := 0
	for b := man.From / 256; b*256 < c.size; b++ {
		w := c.size - b*256
		if w > 256 {
			w = 256
		}
		tl := tlog.Tile{H: 8, L: -1, N: b, W: int(w)}
		data := read(dir + "/" + c2spPath(tl))
		var idx []int64
		var leaves []tlog.Hash
		for i := int64(0); i < w; i++ {
			if len(data) < 2 {
				fail("entry bundle %d truncated", b)
			}
			n := int(data[0])<<8 | int(data[1])
			if len(data) < 2+n {
				fail("entry bundle %d truncated", b)
			}
			leaves = append(leaves, tlog.RecordHash(data[2:2+n]))
			idx = append(idx, tlog.StoredHashIndex(0, b*256+i))
			data = data[2+n:]
		}
		if len(data) != 0 {
			fail("entry bundle %d: trailing bytes", b)
		}
		hs, err := hr.ReadHashes(idx)
		if err != nil {
			fail("tiles for entry bundle %d: %v", b, err)
		}
		for i := range hs {
			if hs[i] != leaves[i] {
				fail("entry %d does not hash to its tile", b*256+int64(i))
			}
		}
		entries += len(leaves)
	}
	for _, i := range []int64{man.From, (man.From + c.size) / 2, c.size - 1} {
		p, err := tlog.ProveRecord(c.size, i, hr)
		if err != nil {
			fail("prove %d from the tiles: %v", i, err)
		}
		hs, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err != nil || tlog.CheckRecord(p, c.size, c.root, i, hs[0]) != nil {
			fail("inclusion of %d from the tiles", i)
		}
	}
	fmt.Printf("ok bundle %s size %d entries %d\n", c.origin, c.size, entries)
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: tlogcheck checkpoint|receipt|consistency VKEY ...")
		os.Exit(2)
	}
	vs := verifier(string(read(os.Args[2])))
	switch os.Args[1] {
	case "checkpoint":
		c := openCheckpoint(read(os.Args[3]), vs)
		fmt.Printf("ok checkpoint %s %d %s\n", c.origin, c.size, c.root)
	case "receipt":
		rest := read(os.Args[3])
		var line string
		line, rest = nextLine(rest)
		if line != "c2sp.org/tlog-proof@v1" {
			fail("not a tlog-proof@v1: %q", line)
		}
		line, rest = nextLine(rest)
		if !strings.HasPrefix(line, "extra ") {
			fail("no extra line")
		}
		extra, err := base64.StdEncoding.DecodeString(line[6:])
		if err != nil {
			fail("extra: %v", err)
		}
		line, rest = nextLine(rest)
		if !strings.HasPrefix(line, "index ") {
			fail("no index line")
		}
		index, err := strconv.ParseInt(line[6:], 10, 64)
		if err != nil {
			fail("index: %v", err)
		}
		proof, rest := proofLines(rest)
		c := openCheckpoint(rest, vs)
		leaf := tlog.RecordHash(extra)
		if err := tlog.CheckRecord(tlog.RecordProof(proof), c.size, c.root, index, leaf); err != nil {
			fail("inclusion of %d in %d: %v", index, c.size, err)
		}
		fmt.Printf("ok receipt index %d size %d leaf %s\n", index, c.size, leaf)
	case "consistency":
		if len(os.Args) != 5 {
			os.Exit(2)
		}
		old := openCheckpoint(read(os.Args[3]), vs)
		rest := read(os.Args[4])
		var line string
		line, rest = nextLine(rest)
		m, err := strconv.ParseInt(strings.TrimPrefix(line, "old "), 10, 64)
		if !strings.HasPrefix(line, "old ") || err != nil || m != old.size {
			fail("old line %q does not match the old checkpoint (%d)", line, old.size)
		}
		proof, rest := proofLines(rest)
		c := openCheckpoint(rest, vs)
		if err := tlog.CheckTree(tlog.TreeProof(proof), c.size, c.root, old.size, old.root); err != nil {
			fail("consistency %d -> %d: %v", old.size, c.size, err)
		}
		fmt.Printf("ok consistency %d -> %d\n", old.size, c.size)
	case "bundle":
		bundle(vs, os.Args[3])
	default:
		os.Exit(2)
	}
}
