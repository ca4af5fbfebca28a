package sweep

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ncsweep/ncsweep/core"
)

// unit is one dimension of the grid: a crossed axis, or a zip group whose
// axes walk together.
type unit struct {
	keys []int // indices into keyTable, in canonical order
	n    int   // values per axis
}

// gridUnits orders the axes into grid dimensions: by the canonical position
// of each unit's first key, so the order of keys in the file never matters.
func gridUnits(params []param, zip [][]int) []unit {
	group := map[int]int{}
	for g, keys := range zip {
		for _, k := range keys {
			group[k] = g
		}
	}
	var units []unit
	done := map[int]bool{}
	for k := range keyTable {
		if !params[k].axis {
			continue
		}
		g, zipped := group[k]
		if !zipped {
			units = append(units, unit{keys: []int{k}, n: len(params[k].vals)})
			continue
		}
		if done[g] {
			continue
		}
		done[g] = true
		keys := append([]int(nil), zip[g]...)
		sort.Ints(keys)
		units = append(units, unit{keys: keys, n: len(params[keys[0]].vals)})
	}
	return units
}

// expand builds the plan's axes and runs, resolving and validating every
// grid point; problems go to p.errs.
func (p *parser) expand(plan *Plan, params []param, zip [][]int, opt Options) {
	allowHuge := opt.AllowHuge
	zipOf := map[int]int{}
	for g, keys := range zip {
		for _, k := range keys {
			zipOf[k] = g
		}
	}
	for k := range keyTable {
		if !params[k].axis {
			continue
		}
		ax := Axis{Key: keyTable[k].name, Zip: -1}
		if g, ok := zipOf[k]; ok {
			ax.Zip = g
		}
		for _, v := range params[k].vals {
			ax.Values = append(ax.Values, fmtValue(v, false))
		}
		plan.Axes = append(plan.Axes, ax)
	}

	units := gridUnits(params, zip)
	limit := maxRuns
	if allowHuge {
		limit = maxRunsHard
	}
	if opt.runLimit > 0 {
		limit = opt.runLimit
	}
	total, size := 1, 1.0
	var sizes []string
	largest := -1
	for _, u := range units {
		size *= float64(u.n)
		if total <= limit {
			total *= u.n
		}
		var names []string
		for _, k := range u.keys {
			names = append(names, keyTable[k].name)
		}
		sizes = append(sizes, fmt.Sprintf("%s (%d)", strings.Join(names, "+"), u.n))
		if largest < 0 || u.n > len(params[largest].vals) {
			largest = u.keys[0]
		}
	}
	if size > float64(limit) {
		msg := fmt.Sprintf("the grid has %.0f runs (%s), ", size, strings.Join(sizes, " x "))
		switch {
		case !allowHuge && (size <= maxRunsHard || opt.runLimit > 0):
			msg += fmt.Sprintf("more than %d; zip axes with sweep.zip, shorten them, or allow huge grids (ncsweep --yes)", limit)
		case !allowHuge:
			msg += fmt.Sprintf("more than %d, the hard limit even with --yes; zip axes with sweep.zip, shorten them, or split the sweep into several specs", maxRunsHard)
		default:
			msg += fmt.Sprintf("more than %d, the hard limit; split the sweep into several specs", limit)
		}
		p.add(keyTable[largest].name, msg)
		return
	}

	point := make([]any, len(keyTable))
	for k := range keyTable {
		if params[k].given && !params[k].axis {
			point[k] = params[k].vals[0]
		}
	}
	given := make([]bool, len(keyTable))
	for k := range keyTable {
		given[k] = params[k].given
	}
	ids := make(map[string]int, total)
	plan.Runs = make([]RunConfig, 0, total)
	var canon []byte
	for r := 0; r < total; r++ {
		rem := r
		for u := len(units) - 1; u >= 0; u-- {
			i := rem % units[u].n
			rem /= units[u].n
			for _, k := range units[u].keys {
				point[k] = params[k].vals[i]
			}
		}
		spec, ok := p.resolve(point, given)
		if !ok {
			if len(p.errs) >= maxErrors {
				return
			}
			continue
		}
		sums, ok := p.hashInputs(&spec)
		if !ok {
			if len(p.errs) >= maxErrors {
				return
			}
			continue
		}
		canon = appendIdentity(canon[:0], &spec, &sums)
		id := idOf(canon)
		if prev, dup := ids[id]; dup {
			msg := fmt.Sprintf("runs %d and %d resolve to the same configuration (run_id %s); remove repeated grid values", prev, r, id)
			if inputPaths(&spec) != ([nInputFiles]string{}) {
				msg += " (input files with identical contents are the same input)"
			}
			p.add(keyTable[largest].name, msg)
			continue
		}
		ids[id] = r
		plan.Runs = append(plan.Runs, RunConfig{ID: id, Index: r, Sweep: plan.Name, Spec: spec})
	}
}

// resolve turns one grid point (point[k] is the value of key k when
// given[k]) into a core.Spec: defaults in table order, then the checks.
// It reports problems to p and returns false when there were any. A key
// whose deps include a key that failed its check is not checked: its
// check would only repeat the first problem (train.time's step count from
// a negative train.lr).
func (p *parser) resolve(point []any, given []bool) (core.Spec, bool) {
	var s core.Spec
	ok := true
	var failed map[string]bool // keys that failed or were not checked
	for k := range keyTable {
		d := &keyTable[k]
		var why string
		if d.applies != nil {
			why = d.applies(&s)
		}
		if why != "" {
			if given[k] {
				if def := d.def(&s); fmtValue(point[k], true) != fmtValue(def, true) {
					p.add(d.name, fmt.Sprintf("%s; got %s (leave it unset, or at its default %s, for these runs)",
						why, fmtValue(point[k], true), fmtValue(def, true)), d.deps...)
					ok = false
				}
			}
			d.set(&s, d.na)
			continue
		}
		v := d.def(&s)
		if given[k] {
			v = point[k]
		}
		if failed != nil && dependsOnFailed(d, failed) {
			failed[d.name] = true
			d.set(&s, v)
			continue
		}
		if msg := d.check(v, &s); msg != "" {
			if failed == nil {
				failed = map[string]bool{}
			}
			failed[d.name] = true
			if !given[k] {
				msg = "the default " + fmtValue(v, true) + " does not fit: " + msg
			}
			p.add(d.name, msg+" (valid: "+d.valid+")", d.deps...)
			ok = false
		}
		d.set(&s, v)
	}
	return s, ok
}

// hashInputs returns the SHA-256 digests of the input files run s
// reads (see RunID), hashing each distinct path once per Parse. A missing
// or non-regular file is reported against its key and makes ok false.
func (p *parser) hashInputs(s *core.Spec) (sums [nInputFiles]string, ok bool) {
	ok = true
	for i, path := range inputPaths(s) {
		if path == "" {
			continue
		}
		d, done := p.files[path]
		if !done {
			d = hashInputFile(path)
			if p.files == nil {
				p.files = map[string]fileDigest{}
			}
			p.files[path] = d
		}
		if d.problem != "" {
			key := inputFileKey(i)
			p.addErr(key, d.problem+" (valid: "+keyTable[findKey(key)].valid+")", d.err)
			ok = false
			continue
		}
		sums[i] = d.sum
	}
	return sums, ok
}

// dependsOnFailed reports whether one of d's deps is in failed.
func dependsOnFailed(d *keyDesc, failed map[string]bool) bool {
	for _, dep := range d.deps {
		if failed[dep] {
			return true
		}
	}
	return false
}
