package core

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// Matrix is a dense Rows x Cols matrix of float64, row-major: entry (r, c)
// is Data[r*Cols+c]. It is what the array-file readers return.
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// At returns entry (r, c).
func (m *Matrix) At(r, c int) float64 { return m.Data[r*m.Cols+c] }

// ReadMatrixFile reads a 2-D array from path: a NumPy .npy file when the
// name ends in ".npy" (ReadNPY), otherwise a CSV file of numbers
// (ReadCSVMatrix). Errors name the file.
//
// path must name a regular file (after following symbolic links) of at
// most MaxDataFileSize bytes, and a CSV line may hold at most MaxLineBytes.
func ReadMatrixFile(path string) (*Matrix, error) {
	f, size, err := openDataFile(path)
	if err != nil {
		return nil, err // a *PathError names the file
	}
	defer f.Close()
	var m *Matrix
	if strings.EqualFold(filepath.Ext(path), ".npy") {
		m, err = ReadNPY(f, size)
	} else {
		m, err = ReadCSVMatrix(f)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ReadCSVMatrix reads a matrix written as comma-separated numbers, one row
// per line (what np.savetxt(path, a, delimiter=",") or
// pandas' to_csv(header=False, index=False) write).
//
// Every line must have the same number of fields. Fields are parsed with
// strconv.ParseFloat after trimming spaces, so "1e-3", " 2.5" and "NaN" are
// numbers (finiteness is the caller's business). Lines starting with '#'
// are comments (np.savetxt writes its header that way) and blank lines are
// skipped. The first non-comment line may be a header of column names: it
// is skipped when none of its fields is a number; a first line mixing
// numbers and non-numbers is an error, as is any non-number later, so a typo
// is never silently taken for a header. An empty file is an error, and so
// is a line longer than MaxLineBytes (the reader never buffers more).
func ReadCSVMatrix(r io.Reader) (*Matrix, error) {
	records := newCSVRecords(r, '#')
	m := &Matrix{}
	first := true
	for {
		rec, line, err := records.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if first {
			first = false
			numeric := 0
			for _, f := range rec {
				if _, err := parseCSVFloat(f); err == nil {
					numeric++
				}
			}
			if numeric == 0 {
				continue // a header line of names
			}
		}
		if m.Rows == 0 {
			m.Cols = len(rec)
		}
		if len(rec) != m.Cols {
			return nil, fmt.Errorf("csv line %d: %d fields, want %d like the first row", line, len(rec), m.Cols)
		}
		for c, f := range rec {
			v, err := parseCSVFloat(f)
			if err != nil {
				return nil, fmt.Errorf("csv line %d, column %d: %q is not a number", line, c+1, f)
			}
			m.Data = append(m.Data, v)
		}
		m.Rows++
	}
	if m.Rows == 0 {
		return nil, errors.New("csv: no rows of numbers")
	}
	return m, nil
}

func parseCSVFloat(s string) (float64, error) {
	return strconv.ParseFloat(strings.TrimSpace(s), 64)
}

// NPY format limits. NumPy itself refuses headers beyond 10000 bytes by
// default; we allow a little more but never an unbounded read.
const (
	npyMagic         = "\x93NUMPY"
	npyMaxHeaderSize = 1 << 16
)

// ReadNPY reads a 2-D float array in NumPy's .npy format (format versions
// 1.0, 2.0 and 3.0) from r, which holds exactly size bytes.
//
// Supported: dtype '<f8' and '>f8' (float64), '<f4' and '>f4' (float32,
// converted exactly to float64); C order, or fortran_order True (the data
// are then column-major and are transposed into our row-major Matrix);
// 2-D shapes only (a 1-D vector of length H must be saved as
// v.reshape(1, -1)). The header, a Python dict literal with exactly the
// keys 'descr', 'fortran_order' and 'shape', is parsed by a small strict
// parser. The magic, the version, the header length (at most 64 KiB and
// within size) and rows*cols*itemsize == the bytes after the header are all
// checked before the data are allocated, so a hostile header can neither
// make it allocate more than the input holds nor panic.
func ReadNPY(r io.Reader, size int64) (*Matrix, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("npy: reading the magic: %w", noEOF(err))
	}
	if string(pre[:6]) != npyMagic {
		return nil, fmt.Errorf("npy: bad magic %q, want %q (not a .npy file)", pre[:6], npyMagic)
	}
	major, minor := pre[6], pre[7]
	var hlen, preamble int64
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: reading the header length: %w", noEOF(err))
		}
		hlen, preamble = int64(binary.LittleEndian.Uint16(b[:])), 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: reading the header length: %w", noEOF(err))
		}
		hlen, preamble = int64(binary.LittleEndian.Uint32(b[:])), 12
	default:
		return nil, fmt.Errorf("npy: format version %d.%d, want 1.0, 2.0 or 3.0", major, minor)
	}
	if minor != 0 {
		return nil, fmt.Errorf("npy: format version %d.%d, want 1.0, 2.0 or 3.0", major, minor)
	}
	if hlen > npyMaxHeaderSize || hlen > size-preamble {
		return nil, fmt.Errorf("npy: header length %d exceeds the limit %d or the %d bytes of the file", hlen, npyMaxHeaderSize, size)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("npy: reading the %d-byte header: %w", hlen, noEOF(err))
	}
	h, err := parseNPYHeader(hdr)
	if err != nil {
		return nil, fmt.Errorf("npy: header %q: %w", clip(hdr, 200), err)
	}
	if len(h.shape) != 2 {
		return nil, fmt.Errorf("npy: shape %s is %d-D, want a 2-D array (save a vector v as v.reshape(1, -1))", h.shapeString(), len(h.shape))
	}
	rows, cols := h.shape[0], h.shape[1]
	payload := size - preamble - hlen
	item := int64(h.itemSize)
	if rows != 0 && cols > math.MaxInt64/item/rows {
		return nil, fmt.Errorf("npy: shape %s of %s is too large", h.shapeString(), h.descr)
	}
	if need := rows * cols * item; need != payload || int64(int(rows*cols)) != rows*cols {
		return nil, fmt.Errorf("npy: shape %s of %s needs %d bytes of data but the file has %d after its header",
			h.shapeString(), h.descr, need, payload)
	}
	n := int(rows * cols)
	raw := make([]float64, n)
	br := bufio.NewReader(io.LimitReader(r, payload))
	var buf [8]byte
	for i := range raw {
		b := buf[:h.itemSize]
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, fmt.Errorf("npy: reading value %d of %d: %w", i, n, noEOF(err))
		}
		switch h.itemSize {
		case 8:
			raw[i] = math.Float64frombits(h.order.Uint64(b))
		case 4:
			raw[i] = float64(math.Float32frombits(h.order.Uint32(b)))
		}
	}
	m := &Matrix{Rows: int(rows), Cols: int(cols), Data: raw}
	if h.fortran {
		// Column-major: raw[c*rows + r] is entry (r, c).
		m.Data = make([]float64, n)
		for c := 0; c < m.Cols; c++ {
			for r := 0; r < m.Rows; r++ {
				m.Data[r*m.Cols+c] = raw[c*m.Rows+r]
			}
		}
	}
	return m, nil
}

// noEOF turns a clean EOF into io.ErrUnexpectedEOF: in a .npy file any end
// before the declared data is a truncation.
func noEOF(err error) error {
	if err == io.EOF {
		return fmt.Errorf("truncated file: %w", io.ErrUnexpectedEOF)
	}
	return err
}

func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// npyHeader is the parsed header dict of a .npy file.
type npyHeader struct {
	descr    string
	order    binary.ByteOrder
	itemSize int
	fortran  bool
	shape    []int64
}

func (h *npyHeader) shapeString() string {
	parts := make([]string, len(h.shape))
	for i, s := range h.shape {
		parts[i] = strconv.FormatInt(s, 10)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// npyMaxDim bounds each declared dimension, so that products of two stay
// far from int64 overflow.
const npyMaxDim = 1 << 40

// parseNPYHeader parses the Python dict literal of a .npy header:
// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), } followed by
// padding spaces and a newline.
func parseNPYHeader(b []byte) (*npyHeader, error) {
	p := &pyParser{b: bytes.TrimRight(b, " \t\r\n\x00")}
	p.space()
	if !p.eat('{') {
		return nil, errors.New("does not start with '{'")
	}
	h := &npyHeader{}
	seen := map[string]bool{}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		p.space()
		if !p.eat(':') {
			return nil, fmt.Errorf("no ':' after key %q", key)
		}
		p.space()
		if seen[key] {
			return nil, fmt.Errorf("key %q repeated", key)
		}
		seen[key] = true
		switch key {
		case "descr":
			if h.descr, err = p.str(); err != nil {
				return nil, fmt.Errorf("descr: %w (structured dtypes are not supported)", err)
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				h.fortran = true
			case p.word("False"):
				h.fortran = false
			default:
				return nil, errors.New("fortran_order is not True or False")
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return nil, fmt.Errorf("shape: %w", err)
			}
		default:
			return nil, fmt.Errorf("unexpected key %q (want descr, fortran_order, shape)", key)
		}
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat('}') {
			return nil, fmt.Errorf("expected ',' or '}' at byte %d", p.i)
		}
		break
	}
	p.space()
	if p.i != len(p.b) {
		return nil, fmt.Errorf("trailing text after the dict at byte %d", p.i)
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return nil, fmt.Errorf("missing key %q", k)
		}
	}
	switch h.descr {
	case "<f8":
		h.order, h.itemSize = binary.LittleEndian, 8
	case ">f8":
		h.order, h.itemSize = binary.BigEndian, 8
	case "<f4":
		h.order, h.itemSize = binary.LittleEndian, 4
	case ">f4":
		h.order, h.itemSize = binary.BigEndian, 4
	default:
		return nil, fmt.Errorf("dtype %q is not supported (want float64 '<f8' or float32 '<f4'; convert with a.astype('<f8'))", h.descr)
	}
	return h, nil
}

// pyParser reads the small subset of Python literals a .npy header uses.
type pyParser struct {
	b []byte
	i int
}

func (p *pyParser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// word consumes w when it is next and not followed by an identifier byte.
func (p *pyParser) word(w string) bool {
	if !bytes.HasPrefix(p.b[p.i:], []byte(w)) {
		return false
	}
	if j := p.i + len(w); j < len(p.b) && (isAlnum(p.b[j]) || p.b[j] == '_') {
		return false
	}
	p.i += len(w)
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// str reads a quoted string without escapes ('...' or "...").
func (p *pyParser) str() (string, error) {
	if p.i >= len(p.b) || p.b[p.i] != '\'' && p.b[p.i] != '"' {
		return "", fmt.Errorf("expected a quoted string at byte %d", p.i)
	}
	q := p.b[p.i]
	end := bytes.IndexByte(p.b[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	s := p.b[p.i+1 : p.i+1+end]
	if bytes.IndexByte(s, '\\') >= 0 {
		return "", errors.New("escapes in strings are not supported")
	}
	p.i += end + 2
	return string(s), nil
}

// tuple reads a tuple of non-negative integers: (), (3,), (3, 4), (3, 4,).
// Python 2's long suffix L is accepted.
func (p *pyParser) tuple() ([]int64, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("expected '(' at byte %d", p.i)
	}
	dims := []int64{}
	for {
		p.space()
		if p.eat(')') {
			return dims, nil
		}
		start := p.i
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
		}
		if p.i == start || p.i-start > 14 {
			return nil, fmt.Errorf("expected a dimension of at most 14 digits at byte %d", start)
		}
		v, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
		if err != nil || v > npyMaxDim {
			return nil, fmt.Errorf("dimension %s out of range (max %d)", p.b[start:p.i], int64(npyMaxDim))
		}
		if len(dims) == 32 {
			return nil, errors.New("more than 32 dimensions")
		}
		dims = append(dims, v)
		p.eat('L')
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat(')') {
			return nil, fmt.Errorf("expected ',' or ')' at byte %d", p.i)
		}
		if len(dims) == 1 {
			return nil, errors.New("a 1-tuple needs a trailing comma")
		}
		return dims, nil
	}
}
