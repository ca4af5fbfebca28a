package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ncsweep/ncsweep/core"
)

// canonicalVersion prefixes the canonical form; bump it only when the
// meaning of an existing key changes, since that changes every run ID.
const canonicalVersion = "ncsweep-run/v1\n"

// Canonical returns the canonical encoding of a resolved run spec: one
// "key=value" line per run key in keyTable order (every field of
// core.Spec), strings quoted, floats as strconv.FormatFloat(x, 'g', -1, 64).
// It does not depend on the spec's formatting, key order or sweep name.
func Canonical(s core.Spec) string { return string(appendCanonical(nil, &s)) }

// RunID is the run identity of a resolved spec that reads no input files:
// the first 16 hex digits of the SHA-256 of its canonical encoding.
// Re-running an edited spec skips the runs whose RunID already has a
// result.
//
// A run that reads input files (data.kind = "file": data.path and
// data.test_path; model.init = "file": model.init_w and model.init_v) is
// identified by what those files contain, not by their paths: Parse hashes
// each file (SHA-256 of its bytes) and the run's ID is the first 16 hex
// digits of the SHA-256 of
//
//	Canonical(s with those four paths set to "")
//	+ "file <key> sha256=<hex digest> format=<lower-case extension>\n"
//
// for each file the run reads, in the order data.path, data.test_path,
// model.init_w, model.init_v. So an edited file, or the same relative path
// seen from another folder, gives new run IDs (and resume redoes those
// runs), while moving or renaming the data (keeping its extension, which
// selects the reader) keeps them. Two paths with identical contents are
// the same input. For such a spec RunID(s) is not the plan's ID.
func RunID(s core.Spec) string { return idOf(appendCanonical(nil, &s)) }

func appendCanonical(b []byte, s *core.Spec) []byte {
	b = append(b, canonicalVersion...)
	for i := range keyTable {
		d := &keyTable[i]
		b = append(b, d.name...)
		b = append(b, '=')
		b = append(b, fmtValue(d.get(s), true)...)
		b = append(b, '\n')
	}
	return b
}

func idOf(canon []byte) string {
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:8])
}

// nInputFiles is the number of keys that may name an input file.
const nInputFiles = 4

// inputFileKey returns the name of the i-th input-file key, in the fixed
// order that run identities hash them.
func inputFileKey(i int) string {
	return [nInputFiles]string{"data.path", "data.test_path", "model.init_w", "model.init_v"}[i]
}

// inputPaths returns the paths of the input files run s reads, indexed as
// inputFileKey ("" for a file the run does not read). data.path of an
// mnist run is a folder of IDX files chosen by name and is not hashed: it
// stays part of the canonical form.
func inputPaths(s *core.Spec) [nInputFiles]string {
	var p [nInputFiles]string
	if s.Data.Kind == "file" {
		p[0], p[1] = s.Data.Path, s.Data.TestPath
	}
	if s.Model.Init == "file" {
		p[2], p[3] = s.Model.InitW, s.Model.InitV
	}
	return p
}

// appendIdentity appends the bytes whose hash is the ID of run s, given
// the hex SHA-256 digests of the files it reads (sums[i] for the path
// inputPaths(s)[i]). Without input files this is appendCanonical.
func appendIdentity(b []byte, s *core.Spec, sums *[nInputFiles]string) []byte {
	paths := inputPaths(s)
	if paths == ([nInputFiles]string{}) {
		return appendCanonical(b, s)
	}
	c := *s
	if c.Data.Kind == "file" {
		c.Data.Path, c.Data.TestPath = "", ""
	}
	if c.Model.Init == "file" {
		c.Model.InitW, c.Model.InitV = "", ""
	}
	b = appendCanonical(b, &c)
	for i, path := range paths {
		if path == "" {
			continue
		}
		b = append(b, "file "...)
		b = append(b, inputFileKey(i)...)
		b = append(b, " sha256="...)
		b = append(b, sums[i]...)
		b = append(b, " format="...)
		b = append(b, strings.ToLower(filepath.Ext(path))...)
		b = append(b, '\n')
	}
	return b
}

// fileDigest is the outcome of hashing one input file.
type fileDigest struct {
	sum     string // hex SHA-256 of the contents, when problem is ""
	problem string // what is wrong with the path, or ""
	err     error  // the underlying I/O error, may be nil
}

// hashInputFile checks that path (relative paths are resolved against the
// current directory, where core opens them too) names a regular file,
// following symbolic links, and returns the SHA-256 of its contents,
// streamed. Directories, devices (a link to /dev/zero), named pipes and
// sockets are refused before they are opened, so a pipe cannot block and
// a device cannot feed an endless stream.
func hashInputFile(path string) fileDigest {
	where := path
	if !filepath.IsAbs(path) {
		if abs, err := filepath.Abs(path); err == nil {
			where = fmt.Sprintf("%s (relative paths are read from the current directory: %s)", path, abs)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fileDigest{problem: "no such file: " + where, err: err}
		}
		return fileDigest{problem: fmt.Sprintf("cannot read %s: %v", where, err), err: err}
	}
	if msg := notRegular(fi); msg != "" {
		return fileDigest{problem: fmt.Sprintf("%s %s, not a regular file", where, msg)}
	}
	f, err := os.Open(path)
	if err != nil {
		return fileDigest{problem: fmt.Sprintf("cannot read %s: %v", where, err), err: err}
	}
	defer f.Close()
	// The path may have been replaced between Stat and Open.
	if fi2, err := f.Stat(); err != nil || !os.SameFile(fi, fi2) {
		return fileDigest{problem: fmt.Sprintf("%s changed while being checked", where), err: err}
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fileDigest{problem: fmt.Sprintf("reading %s: %v", where, err), err: err}
	}
	return fileDigest{sum: hex.EncodeToString(h.Sum(nil))}
}

// notRegular describes a file that is not a regular file ("is a
// directory"), or returns "" for a regular file.
func notRegular(fi fs.FileInfo) string {
	m := fi.Mode()
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "is a directory"
	case m&fs.ModeNamedPipe != 0:
		return "is a named pipe"
	case m&fs.ModeSocket != 0:
		return "is a socket"
	case m&fs.ModeDevice != 0:
		return "is a device"
	}
	return fmt.Sprintf("has mode %v", m)
}
