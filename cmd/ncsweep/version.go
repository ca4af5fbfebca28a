package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/ncsweep/ncsweep/core"
)

// toolVersion is the release this source tree describes.
const toolVersion = "0.1.0"

// vcsRevision returns the commit the binary was built from, if recorded.
func vcsRevision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "+dirty"
	}
	return rev
}

func versionString() string {
	s := fmt.Sprintf("ncsweep %s %s %s/%s", toolVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if rev := vcsRevision(); rev != "" {
		s += " " + rev
	}
	return s + " (kernels: " + core.Kernels() + ")"
}
