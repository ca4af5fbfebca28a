package sweep

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// rangeKinds are the keys of a range table, e.g. { logspace = [-6, 0, 7] }.
var rangeKinds = []string{"linspace", "logspace", "range"}

// tomlType names the TOML type of a decoded value for error messages.
func tomlType(raw any) string {
	switch x := raw.(type) {
	case string:
		return fmt.Sprintf("a string (%s)", strconv.Quote(x))
	case int64:
		return fmt.Sprintf("an integer (%d)", x)
	case float64:
		return fmt.Sprintf("a float (%s)", fmtFloat(x))
	case bool:
		return fmt.Sprintf("a boolean (%t)", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case time.Time:
		return "a date/time"
	}
	return fmt.Sprintf("a %T", raw)
}

// parseValues turns the raw decoded value of key d into its grid values.
// axis reports whether the spec gave a list or a range table (an axis of
// the grid) rather than one value. The problem, when not "", says what is
// wrong without the key or the valid values (the caller adds them).
func parseValues(d *keyDesc, raw any) (vals []any, axis bool, problem string) {
	switch x := raw.(type) {
	case map[string]any:
		vals, problem = parseRangeTable(d, x)
		if problem == "" {
			problem = checkAxis(vals)
		}
		return vals, true, problem
	case []any:
		if d.typ == typeIntList && !isListOfLists(x) {
			v, p := convert(d, x)
			return []any{v}, false, p
		}
		if len(x) == 0 {
			return nil, true, "empty list: an axis needs at least one value"
		}
		if len(x) > maxAxisLen {
			return nil, true, fmt.Sprintf("an axis of %d values exceeds the limit of %d", len(x), maxAxisLen)
		}
		vals = make([]any, len(x))
		for i, e := range x {
			v, p := convert(d, e)
			if p != "" {
				return nil, true, fmt.Sprintf("element %d of the list: %s", i+1, p)
			}
			vals[i] = v
		}
		return vals, true, checkAxis(vals)
	default:
		v, p := convert(d, raw)
		return []any{v}, false, p
	}
}

// isListOfLists reports whether some element of x is a list: for a
// list-typed key that makes x an axis.
func isListOfLists(x []any) bool {
	for _, e := range x {
		if _, ok := e.([]any); ok {
			return true
		}
	}
	return false
}

// checkAxis rejects repeated values, which would repeat runs.
func checkAxis(vals []any) string {
	seen := make(map[string]bool, len(vals))
	for _, v := range vals {
		s := fmtValue(v, true)
		if seen[s] {
			return "the value " + fmtValue(v, false) + " appears twice in the axis"
		}
		seen[s] = true
	}
	return ""
}

// convert turns one decoded TOML value into a grid value of d's type.
func convert(d *keyDesc, raw any) (any, string) {
	switch d.typ {
	case typeString:
		s, ok := raw.(string)
		if !ok {
			return nil, "expected a string, got " + tomlType(raw)
		}
		if d.enum != nil && !contains(d.enum, s) {
			msg := fmt.Sprintf("unknown value %q", s)
			if sug := suggest(s, d.enum); sug != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", sug)
			}
			return nil, msg
		}
		return s, ""
	case typeInt:
		return toInt(raw)
	case typeFloat:
		return toFloat(raw)
	case typeBool:
		b, ok := raw.(bool)
		if !ok {
			return nil, "expected true or false, got " + tomlType(raw)
		}
		return b, ""
	case typeIntList:
		l, ok := raw.([]any)
		if !ok {
			return nil, "expected a list of integers, got " + tomlType(raw)
		}
		if len(l) == 0 {
			return nil, "empty list"
		}
		if len(l) > maxAxisLen {
			return nil, fmt.Sprintf("a list of %d values exceeds the limit of %d", len(l), maxAxisLen)
		}
		out := make([]int, len(l))
		for i, e := range l {
			v, p := toInt(e)
			if p != "" {
				return nil, fmt.Sprintf("element %d: %s", i+1, p)
			}
			x := v.(int64)
			if x != int64(int(x)) {
				return nil, fmt.Sprintf("element %d: %d is out of range", i+1, x)
			}
			out[i] = int(x)
		}
		return out, ""
	}
	return nil, "unsupported key type"
}

// toInt accepts an integer, or a float with an integral value.
func toInt(raw any) (any, string) {
	switch x := raw.(type) {
	case int64:
		return x, ""
	case float64:
		return floatToInt(x)
	}
	return nil, "expected an integer, got " + tomlType(raw)
}

func floatToInt(x float64) (any, string) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, "expected an integer, got " + fmtFloat(x)
	}
	if x != math.Trunc(x) {
		return nil, "expected an integer, got the non-integral " + fmtFloat(x)
	}
	if math.Abs(x) > 1<<53 {
		return nil, "expected an integer of magnitude at most 2^53, got " + fmtFloat(x)
	}
	return int64(x), ""
}

// toFloat accepts a float or an integer; NaN and Inf are rejected and -0
// becomes 0 so that it has one canonical form.
func toFloat(raw any) (any, string) {
	switch x := raw.(type) {
	case int64:
		return float64(x), ""
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, "expected a finite number, got " + fmtFloat(x)
		}
		if x == 0 {
			x = 0
		}
		return x, ""
	}
	return nil, "expected a number, got " + tomlType(raw)
}

// parseRangeTable expands { linspace | logspace | range = [a, b, c] }.
func parseRangeTable(d *keyDesc, t map[string]any) ([]any, string) {
	if d.typ != typeInt && d.typ != typeFloat {
		return nil, fmt.Sprintf("a range table needs a numeric key; expected %s", d.typ)
	}
	if len(t) != 1 {
		names := make([]string, 0, len(t))
		for k := range t {
			names = append(names, k)
		}
		sort.Strings(names)
		return nil, fmt.Sprintf("a range table has exactly one of linspace, logspace, range; got {%s}", strings.Join(names, ", "))
	}
	var kind string
	var raw any
	for k, v := range t {
		kind, raw = k, v
	}
	if !contains(rangeKinds, kind) {
		msg := fmt.Sprintf("unknown range kind %q", kind)
		if sug := suggest(kind, rangeKinds); sug != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		return nil, msg + "; use linspace, logspace or range"
	}
	args, ok := raw.([]any)
	if !ok || len(args) != 3 {
		return nil, fmt.Sprintf("%s needs a list of 3 numbers [%s], got %s", kind, rangeArgs(kind), describeArgs(raw))
	}
	var floats []float64
	var p string
	switch kind {
	case "linspace", "logspace":
		floats, p = spaced(kind, args)
	case "range":
		var ints []int64
		ints, floats, p = rangeValues(args)
		if p == "" && ints != nil {
			out := make([]any, len(ints))
			for i, v := range ints {
				if d.typ == typeFloat {
					out[i] = float64(v)
				} else {
					out[i] = v
				}
			}
			return out, ""
		}
	}
	if p != "" {
		return nil, p
	}
	out := make([]any, len(floats))
	for i, x := range floats {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Sprintf("%s gives the non-finite value %s", kind, fmtFloat(x))
		}
		if x == 0 {
			x = 0 // no -0
		}
		if d.typ == typeInt {
			v, p := floatToInt(x)
			if p != "" {
				return nil, fmt.Sprintf("%s gives %s for an integer key", kind, fmtFloat(x))
			}
			out[i] = v
		} else {
			out[i] = x
		}
	}
	return out, ""
}

func rangeArgs(kind string) string {
	if kind == "range" {
		return "start, stop, step"
	}
	return "a, b, n"
}

func describeArgs(raw any) string {
	if l, ok := raw.([]any); ok {
		return fmt.Sprintf("a list of %d", len(l))
	}
	return tomlType(raw)
}

// spaced expands linspace [a, b, n] (n evenly spaced values from a to b)
// and logspace [a, b, n] (10^a .. 10^b). Endpoints are exact.
func spaced(kind string, args []any) ([]float64, string) {
	var ab [2]float64
	for i := 0; i < 2; i++ {
		v, p := toFloat(args[i])
		if p != "" {
			return nil, fmt.Sprintf("%s bound %d: %s", kind, i+1, p)
		}
		ab[i] = v.(float64)
	}
	nv, p := toInt(args[2])
	if p != "" {
		return nil, fmt.Sprintf("%s count n: %s", kind, p)
	}
	n := nv.(int64)
	if n < 1 {
		return nil, fmt.Sprintf("%s needs n >= 1 values, got n = %d", kind, n)
	}
	if n > maxAxisLen {
		return nil, fmt.Sprintf("%s of %d values exceeds the axis limit of %d", kind, n, maxAxisLen)
	}
	a, b := ab[0], ab[1]
	out := make([]float64, n)
	for i := range out {
		t := a
		if n > 1 {
			t = a + float64(i)*(b-a)/float64(n-1)
		}
		if i == int(n-1) && n > 1 {
			t = b
		}
		if kind == "logspace" {
			out[i] = pow10(t)
		} else {
			out[i] = t
		}
	}
	return out, ""
}

// pow10 returns 10^e, correctly rounded when e is an integer (so that
// logspace [-4, 0, 3] gives exactly 1e-4, 1e-2 and 1).
func pow10(e float64) float64 {
	if e == math.Trunc(e) && math.Abs(e) < 400 {
		x, _ := strconv.ParseFloat("1e"+strconv.Itoa(int(e)), 64)
		return x // +Inf beyond the float64 range, caught by the caller
	}
	return math.Pow(10, e)
}

// rangeValues expands range [start, stop, step] like Python's range: stop
// is excluded. Integer arguments give integers (ints), otherwise floats.
func rangeValues(args []any) (ints []int64, floats []float64, problem string) {
	allInt := true
	for _, a := range args {
		if _, ok := a.(int64); !ok {
			allInt = false
		}
	}
	if allInt {
		start, stop, step := args[0].(int64), args[1].(int64), args[2].(int64)
		if step == 0 {
			return nil, nil, "range step must not be 0"
		}
		if (step > 0 && start >= stop) || (step < 0 && start <= stop) {
			return nil, nil, fmt.Sprintf("range [%d, %d, %d] is empty (stop is excluded; the step's sign must point from start to stop)", start, stop, step)
		}
		// |stop - start| and |step| as uint64: exact even when the int64
		// difference would overflow.
		var diff, st uint64
		if step > 0 {
			diff, st = uint64(stop)-uint64(start), uint64(step)
		} else {
			diff, st = uint64(start)-uint64(stop), -uint64(step)
		}
		count := diff / st
		if diff%st != 0 {
			count++
		}
		if count > maxAxisLen {
			return nil, nil, fmt.Sprintf("range of %d values exceeds the axis limit of %d", count, maxAxisLen)
		}
		ints = make([]int64, count)
		for i := range ints {
			ints[i] = start + int64(i)*step // wraps consistently; the result fits
		}
		return ints, nil, ""
	}
	var f [3]float64
	for i, a := range args {
		v, p := toFloat(a)
		if p != "" {
			return nil, nil, fmt.Sprintf("range argument %d: %s", i+1, p)
		}
		f[i] = v.(float64)
	}
	start, stop, step := f[0], f[1], f[2]
	if step == 0 {
		return nil, nil, "range step must not be 0"
	}
	if (step > 0 && start >= stop) || (step < 0 && start <= stop) {
		return nil, nil, fmt.Sprintf("range [%s, %s, %s] is empty (stop is excluded; the step's sign must point from start to stop)",
			fmtFloat(start), fmtFloat(stop), fmtFloat(step))
	}
	c := math.Ceil((stop - start) / step)
	if !(c <= maxAxisLen) {
		return nil, nil, fmt.Sprintf("range of %s values exceeds the axis limit of %d", fmtFloat(c), maxAxisLen)
	}
	floats = make([]float64, 0, int(c))
	for i := 0; i < int(c); i++ {
		x := start + float64(i)*step
		if (step > 0 && x >= stop) || (step < 0 && x <= stop) {
			break
		}
		floats = append(floats, x)
	}
	return nil, floats, ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
