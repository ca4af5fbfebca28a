package sweep

import (
	"sort"
	"strings"
)

// The TOML decoder keeps no per-key positions that it exports, so a small
// scanner finds the line where each key is written. It runs only on text
// the decoder accepted, and is best effort: a key it cannot place falls
// back to the line of its nearest placed parent (its table header).

// lineIndex maps dotted key paths ("model.init_scale") to 1-based lines.
type lineIndex map[string]int

// line returns the line of key, or of its longest placed prefix, or 0.
func (ix lineIndex) line(key string) int {
	for {
		if l, ok := ix[key]; ok {
			return l
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
}

// locateKeys scans TOML text and records the first line of every key path
// and table header.
func locateKeys(text []byte) lineIndex {
	sc := &keyScanner{b: text, ix: lineIndex{}}
	for i, c := range text {
		if c == '\n' {
			sc.nl = append(sc.nl, i)
		}
	}
	sc.document()
	return sc.ix
}

type keyScanner struct {
	b  []byte
	i  int
	nl []int // offsets of newlines
	ix lineIndex
}

const maxScanDepth = 64

func (s *keyScanner) lineAt(off int) int { return sort.SearchInts(s.nl, off) + 1 }

func (s *keyScanner) record(path string, off int) {
	if _, ok := s.ix[path]; !ok && path != "" {
		s.ix[path] = s.lineAt(off)
	}
}

func (s *keyScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// space skips blanks; with nl also newlines and comments.
func (s *keyScanner) space(nl bool) {
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == ' ' || c == '\t' || c == '\r':
			s.i++
		case nl && c == '\n':
			s.i++
		case nl && c == '#':
			s.skipLine()
		default:
			return
		}
	}
}

func (s *keyScanner) skipLine() {
	for s.i < len(s.b) && s.b[s.i] != '\n' {
		s.i++
	}
}

func (s *keyScanner) document() {
	table := ""
	for s.i < len(s.b) {
		s.space(true)
		if s.i >= len(s.b) {
			return
		}
		start := s.i
		if s.peek() == '[' {
			s.i++
			if s.peek() == '[' {
				s.i++
			}
			s.space(false)
			table = strings.Join(s.key(), ".")
			s.recordPrefixes("", table, start)
			s.skipLine()
			continue
		}
		parts := s.key()
		if len(parts) == 0 {
			s.skipLine()
		} else {
			path := joinPath(table, strings.Join(parts, "."))
			s.recordPrefixes(table, path, start)
			s.space(false)
			if s.peek() == '=' {
				s.i++
				s.value(path, 0)
			}
			s.space(false)
			if s.peek() == '#' {
				s.skipLine()
			}
		}
		if s.i == start {
			s.i++ // always make progress
		}
	}
}

// recordPrefixes records path and its prefixes longer than base.
func (s *keyScanner) recordPrefixes(base, path string, off int) {
	for i := len(base) + 1; i < len(path); i++ {
		if path[i] == '.' {
			s.record(path[:i], off)
		}
	}
	s.record(path, off)
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// key reads a dotted key of bare and quoted parts.
func (s *keyScanner) key() []string {
	var parts []string
	for {
		s.space(false)
		start := s.i
		switch c := s.peek(); {
		case c == '"' || c == '\'':
			s.str()
			p := string(s.b[start:s.i])
			if len(p) >= 2 {
				p = p[1 : len(p)-1]
			}
			parts = append(parts, p)
		case isBare(c):
			for s.i < len(s.b) && isBare(s.b[s.i]) {
				s.i++
			}
			parts = append(parts, string(s.b[start:s.i]))
		default:
			return parts
		}
		s.space(false)
		if s.peek() != '.' {
			return parts
		}
		s.i++
	}
}

func isBare(c byte) bool {
	return c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// str skips a basic, literal or multi-line string starting at s.i.
func (s *keyScanner) str() {
	q := s.b[s.i]
	if s.i+2 < len(s.b) && s.b[s.i+1] == q && s.b[s.i+2] == q {
		s.i += 3
		for s.i < len(s.b) {
			if q == '"' && s.b[s.i] == '\\' {
				s.i += 2
				continue
			}
			if s.i+2 < len(s.b) && s.b[s.i] == q && s.b[s.i+1] == q && s.b[s.i+2] == q {
				s.i += 3
				for s.i < len(s.b) && s.b[s.i] == q { // up to two extra quotes belong to the string
					s.i++
				}
				return
			}
			s.i++
		}
		return
	}
	s.i++
	for s.i < len(s.b) && s.b[s.i] != '\n' {
		c := s.b[s.i]
		if q == '"' && c == '\\' {
			s.i += 2
			continue
		}
		s.i++
		if c == q {
			return
		}
	}
}

// value skips one value; keys inside inline tables are recorded under path.
func (s *keyScanner) value(path string, depth int) {
	if depth > maxScanDepth {
		s.i = len(s.b)
		return
	}
	s.space(false)
	switch c := s.peek(); c {
	case '"', '\'':
		s.str()
	case '[':
		s.i++
		for s.i < len(s.b) {
			s.space(true)
			if s.peek() == ']' {
				s.i++
				return
			}
			start := s.i
			s.value(path, depth+1)
			s.space(true)
			if s.peek() == ',' {
				s.i++
			}
			if s.i == start {
				s.i++
			}
		}
	case '{':
		s.i++
		for s.i < len(s.b) {
			s.space(true)
			if s.peek() == '}' {
				s.i++
				return
			}
			start := s.i
			parts := s.key()
			if len(parts) > 0 {
				sub := joinPath(path, strings.Join(parts, "."))
				s.recordPrefixes(path, sub, start)
				s.space(false)
				if s.peek() == '=' {
					s.i++
					s.value(sub, depth+1)
				}
			}
			s.space(true)
			if s.peek() == ',' {
				s.i++
			}
			if s.i == start {
				s.i++
			}
		}
	default:
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', ']', '}', '#', '\n', ' ', '\t', '\r':
				return
			}
			s.i++
		}
	}
}

// suggest returns the candidate closest to s in edit distance, or "" when
// none is close enough to be a plausible typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := len(s) / 3
	if limit < 1 {
		limit = 1
	}
	if limit > 3 {
		limit = 3
	}
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance between a and b
// in bytes: insertions, deletions, substitutions and transpositions of
// adjacent bytes ("modle" is one edit from "model").
func editDistance(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		return 1 << 30 // not a typo of any key; keeps hostile input cheap
	}
	// d[i][j] is the distance between a[:i] and b[:j]; three rows suffice.
	w := len(b) + 1
	pp, prev, cur := make([]int, w), make([]int, w), make([]int, w)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
		pp, prev, cur = prev, cur, pp
	}
	return prev[len(b)]
}
