package sweep

import (
	"crypto/sha256"
	"encoding/hex"

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

// RunID is the run identity of a resolved spec: the first 16 hex digits of
// the SHA-256 of its canonical encoding. Re-running an edited spec skips
// the runs whose RunID already has a result.
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
