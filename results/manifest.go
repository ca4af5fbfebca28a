package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"
)

// ManifestName is the manifest's file name inside an output directory.
const ManifestName = "manifest.json"

// ManifestFormat identifies the layout of manifest.json.
const ManifestFormat = "ncsweep-manifest/1"

// Manifest describes one invocation of ncsweep on an output directory: what
// was asked (the spec, the arguments), by what (tool, Go, VCS revision,
// host), when, and how it went (Counts).
type Manifest struct {
	SpecText    string `json:"spec_text"`
	SpecHash    string `json:"spec_hash"`
	Sweep       string `json:"sweep"`
	ToolVersion string `json:"tool_version"`
	GoVersion   string `json:"go_version"`             // runtime.Version() if left empty
	VCSRevision string `json:"vcs_revision,omitempty"` // from the build info if left empty
	// Kernels names the arithmetic used (core.Kernels): results are bit
	// for bit the same between invocations with the same kernels.
	Kernels string   `json:"kernels,omitempty"`
	Host    string   `json:"host"`
	Args    []string `json:"args"`
	// Sets are the --set overrides applied to the spec, in order.
	Sets      []string  `json:"sets,omitempty"`
	Shard     string    `json:"shard"` // "i/N"
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Counts    Counts    `json:"counts"`
}

// Counts tallies the runs of one invocation: Planned runs in this shard's
// part of the grid, Skipped because an ok row already existed (resume), and
// the runs executed by their final status.
type Counts struct {
	Planned  int `json:"planned"`
	Skipped  int `json:"skipped"`
	OK       int `json:"ok"`
	Failed   int `json:"failed"`
	Diverged int `json:"diverged"`
	Timeout  int `json:"timeout"`
	Canceled int `json:"canceled"`
}

// manifestFile is the layout of OUT/manifest.json: the latest invocation's
// fields at the top level (so `jq .spec_hash` answers for the current state),
// and every invocation ever made on the directory, oldest first, in
// "invocations" (the latest is also the last element).
type manifestFile struct {
	Format string `json:"format"`
	Manifest
	Invocations []Manifest `json:"invocations"`
}

// WriteManifest records m in DIR/manifest.json. If a manifest already exists,
// its invocations are kept and m is appended, so resumed runs and shards
// sharing one directory do not erase each other's history. The file is
// replaced atomically (temp file, fsync, rename, fsync of the folder), and
// on systems with flock the read-modify-write is serialised across
// processes by a lock on DIR/.manifest.lock. An existing manifest that is
// not valid JSON is an error: it is never silently overwritten.
//
// Empty GoVersion and VCSRevision fields are filled from the running
// binary.
func WriteManifest(dir string, m Manifest) error {
	if m.GoVersion == "" {
		m.GoVersion = runtime.Version()
	}
	if m.VCSRevision == "" {
		m.VCSRevision = vcsRevision()
	}
	m.StartedAt = m.StartedAt.UTC()
	m.EndedAt = m.EndedAt.UTC()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: create output folder %s: %w", dir, err)
	}
	unlock, err := lockFile(filepath.Join(dir, ".manifest.lock"))
	if err != nil {
		return fmt.Errorf("results: lock manifest in %s: %w", dir, err)
	}
	defer unlock()

	path := filepath.Join(dir, ManifestName)
	var mf manifestFile
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("results: read manifest %s: %w", path, err)
	default:
		if err := json.Unmarshal(old, &mf); err != nil {
			return fmt.Errorf("results: existing manifest %s is not valid JSON (move it away to continue): %w", path, err)
		}
	}
	mf.Format = ManifestFormat
	mf.Manifest = m
	mf.Invocations = append(mf.Invocations, m)
	data, err := json.MarshalIndent(mf, "", "  ")
	if err != nil {
		return fmt.Errorf("results: encode manifest: %w", err)
	}
	return writeFileAtomic(path, append(data, '\n'))
}

// ReadManifest reads DIR/manifest.json and returns its invocations, oldest
// first.
func ReadManifest(dir string) ([]Manifest, error) {
	path := filepath.Join(dir, ManifestName)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: read manifest %s: %w", path, err)
	}
	var mf manifestFile
	if err := json.Unmarshal(data, &mf); err != nil {
		return nil, fmt.Errorf("results: decode manifest %s: %w", path, err)
	}
	return mf.Invocations, nil
}

// vcsRevision returns the VCS revision the binary was built from ("-dirty"
// appended for a modified tree), or "" when the build info has none.
func vcsRevision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" && modified == "true" {
		rev += "-dirty"
	}
	return rev
}

// writeFileAtomic replaces path with data: temp file in the same folder,
// fsync, close, rename, fsync of the folder. On error the temp file is
// removed and path is untouched.
func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("results: create temporary file for %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("results: chmod %s: %w", tmp, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("results: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("results: fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("results: close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("results: rename %s to %s: %w", tmp, path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("results: publish %s: %w", path, err)
	}
	return nil
}
