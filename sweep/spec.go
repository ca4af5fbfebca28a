package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/BurntSushi/toml"
)

// Options adjust how a spec is parsed.
type Options struct {
	// Sets are command-line overrides "key=value" (value in TOML syntax, or
	// a bare word for a string), applied in order before validation; each
	// replaces the key's whole value, e.g. "model.width=[64,128]".
	Sets []string
	// AllowHuge lifts the limit of 1,000,000 runs per grid (up to a hard
	// limit of 10,000,000, which keeps the plan itself in memory).
	AllowHuge bool

	// runLimit, when > 0, replaces the run limits (tests and fuzzing use it
	// to keep each parse cheap).
	runLimit int
}

// Plan is a validated, expanded sweep: everything needed to run it.
type Plan struct {
	// Name is the sweep's name (the spec's name key, else the file's base
	// name without extension).
	Name string
	// SpecText is the spec file as read.
	SpecText string
	// SpecHash is the hex SHA-256 of the spec text and the overrides.
	SpecHash string
	// Axes are the keys given as lists or ranges, in canonical order.
	Axes []Axis
	// Runs are the grid points in grid order (Runs[i].Index == i).
	Runs []RunConfig
}

// Axis is one key that varies across a grid.
type Axis struct {
	// Key is the dotted key name, e.g. "model.init_scale".
	Key string
	// Values are the axis values as written in plans and tables.
	Values []string
	// Zip is the index of the sweep.zip group that walks this axis together
	// with others, or -1 when the axis is crossed with the rest.
	Zip int
}

// SpecError is one problem with a spec: where it is and what would be
// valid. Parse returns a *SpecError, or several joined with errors.Join,
// for every problem a user can fix by editing the spec or the overrides.
type SpecError struct {
	// File is the spec's name as given to Parse, or "--set" for a problem
	// with a command-line override.
	File string
	// Line is the 1-based line of the key in the spec, 0 when the key is
	// not written in the file (a default or an override).
	Line int
	// Key is the dotted key name (may be empty for a TOML syntax error).
	Key string
	// Msg says what is wrong and what would be valid.
	Msg string
	// Err is the underlying error, e.g. a toml.ParseError; may be nil.
	Err error
}

// Error formats the problem as "file:line: key: message".
func (e *SpecError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *SpecError) Unwrap() error { return e.Err }

// IsSpecError reports whether err is, wraps or joins a *SpecError: a
// problem with the spec (exit status 2) rather than with the system.
func IsSpecError(err error) bool {
	var se *SpecError
	return errors.As(err, &se)
}

// maxErrors bounds how many distinct problems one Parse reports.
const maxErrors = 20

// ParseFile reads and parses the spec at path (see Parse). A spec that
// cannot be read is a *SpecError too (a usage problem, wrapping the I/O
// error).
func ParseFile(path string, opt Options) (*Plan, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, &SpecError{File: path, Msg: fmt.Sprintf("reading sweep spec: %v", err), Err: err}
	}
	return Parse(path, text, opt)
}

// Parse validates the TOML spec text and expands it into a plan. name is
// used in messages and for the default sweep name. Every run of the grid
// is resolved and validated before Parse returns, so a plan that parses
// runs without spec errors.
//
// Input files (data.path and data.test_path for data.kind = "file",
// model.init_w and model.init_v for model.init = "file") are read here
// once per distinct path: a relative path is resolved against the current
// directory, as core resolves it when the run opens the file; it must name
// a regular file (after following links), and the SHA-256 of its contents
// enters the run IDs (see RunID). A missing or non-regular file is a
// *SpecError naming the key, its line and the path.
func Parse(name string, text []byte, opt Options) (*Plan, error) {
	if name == "" {
		name = "spec"
	}
	p := &parser{file: name, fromSet: map[string]bool{}}
	var tree map[string]any
	md, err := toml.Decode(string(text), &tree)
	if err != nil {
		return nil, p.syntaxError(err)
	}
	if tree == nil {
		tree = map[string]any{}
	}
	p.tree = tree
	p.lines = locateKeys(text)

	p.checkStructure(md.Keys())
	for _, s := range opt.Sets {
		p.applySet(s)
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	sweepName := p.sweepName()
	params := p.parseParams()
	zip := p.parseZip(params)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	plan := &Plan{Name: sweepName, SpecText: string(text), SpecHash: specHash(text, opt.Sets)}
	p.expand(plan, params, zip, opt)
	p.applyRunKeys(plan)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return plan, nil
}

// specHash is the hex SHA-256 of the spec text followed by each override.
func specHash(text []byte, sets []string) string {
	h := sha256.New()
	h.Write(text)
	for _, s := range sets {
		h.Write([]byte("\x00--set\x00"))
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// parser carries one Parse call's state.
type parser struct {
	file    string
	tree    map[string]any
	lines   lineIndex
	fromSet map[string]bool // keys replaced by an override
	errs    []error
	seen    map[string]bool       // messages already reported
	files   map[string]fileDigest // input files hashed so far, by path as written
}

// add records a problem with key, placed at the key's line (or at the
// line of the first of also that the spec writes, when the key itself is
// not written).
func (p *parser) add(key, msg string, also ...string) bool {
	return p.addErr(key, msg, nil, also...)
}

// addErr is add with an underlying error for the SpecError to wrap.
func (p *parser) addErr(key, msg string, err error, also ...string) bool {
	if len(p.errs) >= maxErrors {
		return false
	}
	file, line := p.where(key)
	if line == 0 && !p.fromSet[key] {
		for _, k := range also {
			if f, l := p.where(k); l > 0 || p.fromSet[k] {
				file, line = f, l
				break
			}
		}
	}
	e := &SpecError{File: file, Line: line, Key: key, Msg: msg, Err: err}
	s := e.Error()
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[s] {
		return true
	}
	p.seen[s] = true
	p.errs = append(p.errs, e)
	if len(p.errs) == maxErrors {
		p.errs = append(p.errs, &SpecError{File: p.file, Msg: fmt.Sprintf("stopped after %d problems", maxErrors)})
		return false
	}
	return true
}

// where returns the file and line where key is given ("--set", 0 for an
// override; the spec and 0 for a default).
func (p *parser) where(key string) (string, int) {
	if p.fromSet[key] {
		return "--set", 0
	}
	if _, ok := p.lookup(key); !ok {
		// Not written: point at its table, if any, for context.
		return p.file, 0
	}
	return p.file, p.lines.line(key)
}

// lookup returns the decoded value of a dotted key ("seed", "data.dim").
func (p *parser) lookup(key string) (any, bool) {
	table, leaf, ok := strings.Cut(key, ".")
	if !ok {
		v, ok := p.tree[key]
		return v, ok
	}
	m, ok := p.tree[table].(map[string]any)
	if !ok {
		return nil, false
	}
	v, ok := m[leaf]
	return v, ok
}

func (p *parser) syntaxError(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := "invalid TOML: " + pe.Message
		if pe.LastKey != "" {
			msg += fmt.Sprintf(" (after key %q)", pe.LastKey)
		}
		return &SpecError{File: p.file, Line: pe.Position.Line, Msg: msg, Err: err}
	}
	return &SpecError{File: p.file, Msg: "invalid TOML: " + err.Error(), Err: err}
}

// checkStructure rejects unknown tables and keys, in file order.
func (p *parser) checkStructure(keys []toml.Key) {
	for _, t := range tables {
		if v, ok := p.tree[t]; ok {
			if _, isMap := v.(map[string]any); !isMap {
				p.add(t, fmt.Sprintf("must be a table ([%s] followed by its keys), got %s", t, tomlType(v)))
			}
		}
	}
	for _, k := range keys {
		switch {
		case len(k) == 1:
			name := k[0]
			if name == keyName || name == "seed" || isTable(name) {
				continue
			}
			if _, isMap := p.tree[name].(map[string]any); isMap {
				msg := fmt.Sprintf("unknown table [%s]", name)
				if s := suggest(name, tables); s != "" {
					msg += fmt.Sprintf(" (did you mean [%s]?)", s)
				}
				p.add(name, msg+"; valid tables: [data], [model], [train], [sweep]")
				continue
			}
			p.add(name, unknownKey(name))
		case len(k) == 2 && isTable(k[0]):
			if _, isMap := p.tree[k[0]].(map[string]any); !isMap {
				continue
			}
			full := k[0] + "." + k[1]
			if full == keyZip || findKey(full) >= 0 || isRunOnlyKey(full) {
				continue
			}
			p.add(full, unknownKey(full))
		}
	}
}

// unknownKey is the message for an unknown key, with a suggestion, else
// the keys of its table, else (for a table that does not exist) the
// tables.
func unknownKey(key string) string {
	msg := "unknown key"
	if s := suggestKey(key); s != "" {
		return msg + fmt.Sprintf(" (did you mean %s?)", s)
	}
	if valid := keysIn(key); len(valid) > 0 {
		return msg + "; valid keys: " + strings.Join(valid, ", ")
	}
	table := key[:strings.LastIndexByte(key, '.')]
	msg = fmt.Sprintf("unknown key: there is no table [%s]", table)
	if s := suggest(table, tables); s != "" {
		msg += fmt.Sprintf(" (did you mean [%s]?)", s)
	}
	return msg + "; valid tables: [data], [model], [train], [sweep], each with its own keys (e.g. data.dim, model.width, train.lr)"
}

// tableKeyMessage is the message for an override that names a table
// instead of one of its keys (--set data=3).
func tableKeyMessage(table string) string {
	example := map[string]string{"data": "data.dim=30", "model": "model.width=[64,128]",
		"train": "train.lr=0.01", "sweep": `sweep.zip=[["data.dim","model.width"]]`}[table]
	return fmt.Sprintf("[%s] is a table, not a key: set one of its keys, e.g. --set %s; keys of [%s]: %s",
		table, example, table, strings.Join(keysIn(table+".x"), ", "))
}

// keysIn lists the known keys in the table of key (top-level keys and
// tables for an undotted key).
func keysIn(key string) []string {
	table := ""
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		table = key[:i]
	}
	var out []string
	for _, n := range allKeyNames() {
		i := strings.LastIndexByte(n, '.')
		switch {
		case table == "" && i < 0:
			out = append(out, n)
		case i >= 0 && n[:i] == table:
			out = append(out, n)
		}
	}
	if table == "" {
		for _, t := range tables {
			out = append(out, "["+t+"]")
		}
	}
	return out
}

// suggestKey finds the known key closest to key: one with the same last
// part in another table (width written in [data]), else the nearest name.
func suggestKey(key string) string {
	names := allKeyNames()
	leaf := key[strings.LastIndexByte(key, '.')+1:]
	for _, n := range names {
		if n != key && n[strings.LastIndexByte(n, '.')+1:] == leaf {
			return n
		}
	}
	if s := suggest(key, names); s != "" {
		return s
	}
	// A misspelled leaf in the right table: compare leaves within it.
	var leaves []string
	table := ""
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		table = key[:i]
	}
	for _, n := range names {
		if i := strings.LastIndexByte(n, '.'); i >= 0 && n[:i] == table {
			leaves = append(leaves, n[i+1:])
		}
	}
	if s := suggest(leaf, leaves); s != "" {
		return joinPath(table, s)
	}
	return ""
}

// applySet applies one "key=value" override to the decoded tree.
func (p *parser) applySet(set string) {
	key, val, ok := strings.Cut(set, "=")
	key = strings.TrimSpace(key)
	bad := func(k, msg string) {
		p.errs = append(p.errs, &SpecError{File: "--set", Key: k, Msg: msg})
	}
	if !ok || key == "" {
		bad("", fmt.Sprintf("override %q is not of the form key=value, e.g. model.width=[64,128]", set))
		return
	}
	if isTable(key) {
		bad(key, tableKeyMessage(key))
		return
	}
	if key != keyName && key != keyZip && findKey(key) < 0 && !isRunOnlyKey(key) {
		bad(key, unknownKey(key))
		return
	}
	v, err := parseSetValue(val)
	if err != nil {
		bad(key, fmt.Sprintf("value %q: %v", val, err))
		return
	}
	table, leaf, dotted := strings.Cut(key, ".")
	if !dotted {
		p.tree[key] = v
	} else {
		raw, exists := p.tree[table]
		m, isMap := raw.(map[string]any)
		if exists && !isMap {
			return // reported by checkStructure
		}
		if !exists {
			m = map[string]any{}
			p.tree[table] = m
		}
		m[leaf] = v
	}
	p.fromSet[key] = true
}

// parseSetValue decodes an override's value as TOML, falling back to a
// bare word as a string (train.loss=ce).
func parseSetValue(val string) (any, error) {
	var m map[string]any
	_, err := toml.Decode("v = "+val, &m)
	if err == nil {
		if len(m) != 1 {
			return nil, errors.New("not a single TOML value")
		}
		return m["v"], nil
	}
	w := strings.TrimSpace(val)
	if w != "" && !strings.ContainsAny(w, "\"'[]{}=,# \t\r\n") && !looksNumeric(w) {
		return w, nil
	}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("not a TOML value: %s", pe.Message)
	}
	return nil, fmt.Errorf("not a TOML value: %w", err)
}

// looksNumeric reports whether w is written as a number, valid or out of
// range (1e400, an integer beyond int64): TOML's error about it is more
// useful than reading it as the bare word "1e400".
func looksNumeric(w string) bool {
	w = strings.ReplaceAll(w, "_", "")
	if _, err := strconv.ParseFloat(w, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		return true
	}
	_, err := strconv.ParseInt(w, 0, 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// sweepName returns the spec's name key or the file's base name.
func (p *parser) sweepName() string {
	raw, ok := p.tree[keyName]
	if !ok {
		base := filepath.Base(p.file)
		base = strings.TrimSuffix(base, filepath.Ext(base))
		if base == "" || base == "." || base == string(filepath.Separator) {
			return "sweep"
		}
		return base
	}
	s, isStr := raw.(string)
	switch {
	case !isStr:
		p.add(keyName, "expected a string, got "+tomlType(raw)+" (valid: a non-empty name; name cannot be an axis)")
	case strings.TrimSpace(s) == "" || len(s) > 200 || strings.IndexFunc(s, unicode.IsControl) >= 0:
		p.add(keyName, fmt.Sprintf("got %q (valid: a non-empty name of at most 200 characters, without control characters)", s))
	}
	return s
}

// param is a run key's values as the spec gives them.
type param struct {
	vals  []any // one value, or the axis values
	axis  bool  // given as a list or a range table
	given bool  // written in the spec or set by an override
}

// parseParams converts the value of every run key.
func (p *parser) parseParams() []param {
	params := make([]param, len(keyTable))
	for i := range keyTable {
		d := &keyTable[i]
		raw, ok := p.lookup(d.name)
		if !ok {
			continue
		}
		vals, axis, problem := parseValues(d, raw)
		if problem != "" {
			p.add(d.name, problem+" (valid: "+d.valid+")")
			continue
		}
		params[i] = param{vals: vals, axis: axis, given: true}
	}
	return params
}

// parseZip reads sweep.zip as groups of key indices.
func (p *parser) parseZip(params []param) [][]int {
	raw, ok := p.lookup(keyZip)
	if !ok {
		return nil
	}
	const valid = ` (valid: a list of groups of axis keys, e.g. zip = [["data.dim", "model.width"]])`
	groups, isList := raw.([]any)
	if !isList {
		p.add(keyZip, "expected a list of lists of key names, got "+tomlType(raw)+valid)
		return nil
	}
	used := map[string]int{}
	var out [][]int
	for gi, g := range groups {
		names, isList := g.([]any)
		if !isList {
			p.add(keyZip, fmt.Sprintf("group %d: expected a list of key names, got %s%s", gi+1, tomlType(g), valid))
			continue
		}
		if len(names) < 2 {
			p.add(keyZip, fmt.Sprintf("group %d: a zip group needs at least 2 keys, got %d%s", gi+1, len(names), valid))
			continue
		}
		var idx []int
		n := -1
		for _, rn := range names {
			name, isStr := rn.(string)
			if !isStr {
				p.add(keyZip, fmt.Sprintf("group %d: expected a key name, got %s%s", gi+1, tomlType(rn), valid))
				continue
			}
			k := findKey(name)
			switch {
			case k < 0:
				p.add(keyZip, fmt.Sprintf("group %d: %q is not a run key: %s", gi+1, name, unknownKey(name)))
			case !params[k].axis:
				p.add(keyZip, fmt.Sprintf("group %d: %s is not an axis (give it a list or a range table to zip it)", gi+1, name))
			case used[name] > 0:
				p.add(keyZip, fmt.Sprintf("group %d: %s is already in group %d (a key may be in one group only)", gi+1, name, used[name]))
			default:
				used[name] = gi + 1
				if n >= 0 && len(params[k].vals) != n {
					p.add(keyZip, fmt.Sprintf("group %d: %s has %d values but %s has %d (zipped axes need equal lengths)",
						gi+1, name, len(params[k].vals), keyTable[idx[0]].name, n))
				}
				if n < 0 {
					n = len(params[k].vals)
				}
				idx = append(idx, k)
			}
		}
		out = append(out, idx)
	}
	return out
}
