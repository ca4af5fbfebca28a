package sweep

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Run-only keys shape how a run is executed, not what it computes. They are
// not fields of core.Spec, cannot be axes, and never enter a run_id, so
// changing them (a longer time limit for a retry) keeps every run's
// identity and its earlier results.
const keyTimeout = "train.timeout"

// maxTimeout bounds train.timeout (a year), far below time.Duration's range.
const maxTimeout = 365 * 24 * time.Hour

// validTimeout says what train.timeout accepts.
const validTimeout = `a duration string such as "90s", "10m" or "1h30m", or a number of seconds; > 0 and at most a year; not a list (it is not an axis)`

// isRunOnlyKey reports whether name is a run-only key (see keyTimeout).
func isRunOnlyKey(name string) bool { return name == keyTimeout }

// applyRunKeys reads the run-only keys of the spec (and overrides) and sets
// them on every run of plan; problems go to p.errs.
func (p *parser) applyRunKeys(plan *Plan) {
	raw, ok := p.lookup(keyTimeout)
	if !ok {
		return
	}
	d, problem := parseTimeout(raw)
	if problem != "" {
		p.add(keyTimeout, problem+" (valid: "+validTimeout+")")
		return
	}
	for i := range plan.Runs {
		plan.Runs[i].Timeout = d
	}
}

// parseTimeout converts a decoded train.timeout value: a Go duration string
// or a number of seconds. It returns a problem description, or "".
func parseTimeout(raw any) (time.Duration, string) {
	var d time.Duration
	switch x := raw.(type) {
	case string:
		v, err := time.ParseDuration(strings.TrimSpace(x))
		if err != nil {
			return 0, fmt.Sprintf("%q is not a duration", x)
		}
		d = v
	case int64:
		if x <= 0 {
			return 0, fmt.Sprintf("must be > 0, got %d", x)
		}
		if time.Duration(x) > maxTimeout/time.Second {
			return 0, fmt.Sprintf("must be at most a year, got %d seconds", x)
		}
		d = time.Duration(x) * time.Second
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Sprintf("must be a finite number of seconds, got %s", fmtFloat(x))
		}
		if x <= 0 {
			return 0, "must be > 0, got " + fmtFloat(x)
		}
		if x > maxTimeout.Seconds() {
			return 0, fmt.Sprintf("must be at most a year, got %s seconds", fmtFloat(x))
		}
		d = time.Duration(math.Round(x * float64(time.Second)))
	case []any, map[string]any:
		return 0, "expected one time limit, got " + tomlType(raw) + " (a time limit is not part of a run's identity, so it cannot be an axis)"
	default:
		return 0, "expected a duration, got " + tomlType(raw)
	}
	if d <= 0 {
		return 0, fmt.Sprintf("must be > 0, got %v", d)
	}
	if d > maxTimeout {
		return 0, fmt.Sprintf("must be at most a year, got %v", d)
	}
	return d, ""
}
