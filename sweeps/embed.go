// Package sweeps holds the example sweep specs that users copy, and embeds
// them so that the binary can run the quick default sweep with no file.
package sweeps

import "embed"

//go:embed *.toml
var files embed.FS

// DefaultName is the spec that `ncsweep run` uses when given none.
const DefaultName = "quick.toml"

// Default returns the text of the built-in quick sweep.
func Default() []byte {
	b, err := files.ReadFile(DefaultName)
	if err != nil {
		panic("sweeps: the embedded " + DefaultName + " is missing: " + err.Error())
	}
	return b
}
