package sweep

import (
	"time"

	"github.com/ncsweep/ncsweep/core"
)

// RunConfig is one grid point of a sweep, fully resolved.
type RunConfig struct {
	// ID is a short stable hash of the canonical resolved configuration
	// (not of the spec text or of the axis order).
	ID string
	// Index is the run's position in the expanded grid (0-based).
	Index int
	// Sweep is the spec's name.
	Sweep string
	// Spec is everything core needs for the run.
	Spec core.Spec
	// Timeout bounds the run's training time (the spec's train.timeout);
	// 0 means none. It is not part of the run's identity: a run that timed
	// out keeps its run_id when retried with a longer limit.
	Timeout time.Duration
}
