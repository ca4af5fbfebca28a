package core

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
)

// IDX magic numbers (big-endian): two zero bytes, the element type 0x08
// (unsigned byte) and the number of dimensions.
const (
	idxImagesMagic = 0x00000803
	idxLabelsMagic = 0x00000801
)

// DefaultIDXLimit bounds the declared payload of an IDX file (after
// decompression) when a reader is given no limit: 1 GiB, twenty times the
// MNIST training images.
const DefaultIDXLimit int64 = 1 << 30

// idxMaxSide bounds the declared rows and columns of an IDX image.
const idxMaxSide = 10000

// idxChunk is how much payload is read (and allocated) at a time, so that a
// header promising more than the stream holds costs at most twice what the
// stream really holds.
const idxChunk = 1 << 20

// IDXImages is the content of an IDX3 unsigned-byte image file: N images of
// Rows x Cols pixels, image-major then row-major, one byte per pixel.
type IDXImages struct {
	N, Rows, Cols int
	Pixels        []uint8
}

// ReadIDXImageBytes reads an IDX3 unsigned-byte image file (magic
// 0x00000803), plain or gzipped (detected by the gzip magic 1f 8b), without
// converting the pixels.
//
// limit bounds the declared payload size in bytes after decompression;
// limit <= 0 means DefaultIDXLimit. The header must declare a positive
// count, 1..10000 rows and columns and a payload within limit, and exactly
// that many bytes must follow: a short stream is reported as truncated and
// extra bytes as trailing data. Memory grows with the bytes actually read,
// never with the header alone, and decompression stops one byte past the
// declared payload, so neither a hostile header nor a decompression bomb can
// make it allocate much. Errors do not name the file: callers add it.
func ReadIDXImageBytes(r io.Reader, limit int64) (*IDXImages, error) {
	src, h, err := readIDXImagesHeader(r, limit)
	if err != nil {
		return nil, err
	}
	pix, err := readPayload(src, h.size, h.what)
	if err != nil {
		return nil, err
	}
	return &IDXImages{N: h.n, Rows: h.rows, Cols: h.cols, Pixels: pix}, nil
}

// idxImagesHeader is the checked header of an IDX3 image file: n images of
// rows x cols pixels, a payload of size bytes, and what, its description
// for error messages.
type idxImagesHeader struct {
	n, rows, cols int
	size          int64
	what          string
}

// readIDXImagesHeader opens r as ReadIDXImageBytes does (plain or gzip),
// reads and checks the IDX3 header against limit (<= 0: DefaultIDXLimit)
// and returns the reader positioned at the payload.
func readIDXImagesHeader(r io.Reader, limit int64) (io.Reader, idxImagesHeader, error) {
	src, err := idxSource(r)
	if err != nil {
		return nil, idxImagesHeader{}, err
	}
	var hdr [16]byte
	if err := readHeader(src, hdr[:], idxImagesMagic, "IDX3 unsigned-byte images"); err != nil {
		return nil, idxImagesHeader{}, err
	}
	n := int64(binary.BigEndian.Uint32(hdr[4:8]))
	rows := int64(binary.BigEndian.Uint32(hdr[8:12]))
	cols := int64(binary.BigEndian.Uint32(hdr[12:16]))
	if n < 1 || rows < 1 || cols < 1 || rows > idxMaxSide || cols > idxMaxSide {
		return nil, idxImagesHeader{}, fmt.Errorf("bad header: declares %d images of %dx%d (need at least one image and 1..%d rows and columns)", n, rows, cols, idxMaxSide)
	}
	size := n * rows * cols // < 2^32 * 10^8, fits in int64
	what := fmt.Sprintf("%d images of %dx%d (%d bytes)", n, rows, cols, size)
	if limit <= 0 {
		limit = DefaultIDXLimit
	}
	if size > limit {
		return nil, idxImagesHeader{}, fmt.Errorf("header declares %s, beyond the limit of %d bytes", what, limit)
	}
	return src, idxImagesHeader{n: int(n), rows: int(rows), cols: int(cols), size: size, what: what}, nil
}

// idxRows is what readIDXImageRows keeps of an IDX3 image file: the file
// holds N images of Rows x Cols pixels, and X holds the selected ones as
// float64 rows of Rows*Cols pixels scaled to [0, 1] by 1/255 (nil when
// place returned nil).
type idxRows struct {
	N, Rows, Cols int
	X             []float64
}

// readIDXImageRows reads an IDX3 image file with exactly the checks, limit
// and error messages of ReadIDXImageBytes, but keeps only the images that
// place selects, converted as ReadIDXImages converts them: once the header
// is read, place(n) returns for each of the n images the output row it
// goes to, or -1 to drop it; the rows given must be 0..total-1, each once
// (readIDXImageRows panics otherwise). place may return nil to keep
// nothing: the payload is still read and checked, so that a caller which
// finds the file unusable (say, a count that disagrees with another file)
// reports the file's own errors first.
//
// This is the loader's memory-lean path: pixels are decoded straight into
// their output row from a reused chunk buffer, so the file's pixels are
// never held as a whole. The output, total x Rows*Cols float64s, is
// allocated once, at its exact size, as soon as the payload bytes read
// reach the number of kept pixels (it is then at most 8 times what was
// read); the kept pixels read before that are held as bytes. So, as with
// ReadIDXImageBytes, memory grows with the bytes actually read and never
// with the header alone.
func readIDXImageRows(r io.Reader, limit int64, place func(n int) []int) (*idxRows, error) {
	src, h, err := readIDXImagesHeader(r, limit)
	if err != nil {
		return nil, err
	}
	out := &idxRows{N: h.n, Rows: h.rows, Cols: h.cols}
	d := int64(h.rows) * int64(h.cols)
	rowOf := place(h.n)
	total := 0
	if rowOf != nil {
		if len(rowOf) != h.n {
			panic(fmt.Sprintf("readIDXImageRows: place gave %d rows for %d images", len(rowOf), h.n))
		}
		for _, row := range rowOf {
			if row >= 0 {
				total++
			}
		}
		seen := make([]bool, total)
		for i, row := range rowOf {
			if row >= total || row >= 0 && seen[row] {
				panic(fmt.Sprintf("readIDXImageRows: image %d goes to row %d, out of 0..%d or taken twice", i, row, total-1))
			}
			if row >= 0 {
				seen[row] = true
			}
		}
	}
	keep := int64(total) * d // kept pixels
	var (
		x       []float64
		pending []byte // kept pixels in file order, until x exists
	)
	// flush moves the pending pixels (the first kept images in file order,
	// the last one maybe partial) into their rows of x.
	flush := func() {
		q := 0
		for _, row := range rowOf {
			if q == len(pending) {
				break
			}
			if row < 0 {
				continue
			}
			m := min(int(d), len(pending)-q)
			scaleIDXPixels(x[int64(row)*d:int64(row)*d+int64(m)], pending[q:q+m])
			q += m
		}
		pending = nil
	}
	chunk := make([]byte, min(h.size, idxChunk))
	err = streamPayload(src, h.size, h.what, func(want int) []byte { return chunk[:want] }, func(off int64, p []byte) {
		if rowOf == nil {
			return
		}
		if x == nil && off+int64(len(p)) >= keep {
			x = make([]float64, keep)
			flush()
		}
		for len(p) > 0 {
			img, pix := off/d, off%d
			m := min(d-pix, int64(len(p)))
			if row := int64(rowOf[img]); row >= 0 {
				if x != nil {
					scaleIDXPixels(x[row*d+pix:row*d+pix+m], p[:m])
				} else {
					if need := len(pending) + int(m); need > cap(pending) {
						// Double (within keep): the garbage left behind stays
						// below the kept bytes, themselves below the bytes read.
						grown := make([]byte, len(pending), min(keep, max(2*int64(cap(pending)), int64(need))))
						copy(grown, pending)
						pending = grown
					}
					pending = append(pending, p[:m]...)
				}
			}
			off += m
			p = p[m:]
		}
	})
	if err != nil {
		return nil, err
	}
	out.X = x
	return out, nil
}

// scaleIDXPixels sets dst[i] = src[i] / 255, the conversion of every IDX
// reader here.
func scaleIDXPixels(dst []float64, src []byte) {
	for i, p := range src {
		dst[i] = float64(p) / 255
	}
}

// ReadIDXImages reads an IDX3 image file like ReadIDXImageBytes and returns
// its pixels as float64 scaled to [0, 1] by 1/255: images is n x (rows*cols),
// row-major.
func ReadIDXImages(r io.Reader, limit int64) (images []float64, n, rows, cols int, err error) {
	im, err := ReadIDXImageBytes(r, limit)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	images = make([]float64, len(im.Pixels))
	scaleIDXPixels(images, im.Pixels)
	return images, im.N, im.Rows, im.Cols, nil
}

// ReadIDXLabels reads an IDX1 unsigned-byte label file (magic 0x00000801),
// plain or gzipped, with the same checks and limit as ReadIDXImageBytes. It
// does not check the label values (see MNIST for the 0..9 check).
func ReadIDXLabels(r io.Reader, limit int64) ([]uint8, error) {
	src, err := idxSource(r)
	if err != nil {
		return nil, err
	}
	var hdr [8]byte
	if err := readHeader(src, hdr[:], idxLabelsMagic, "IDX1 unsigned-byte labels"); err != nil {
		return nil, err
	}
	n := int64(binary.BigEndian.Uint32(hdr[4:8]))
	if n < 1 {
		return nil, fmt.Errorf("bad header: declares 0 labels")
	}
	what := fmt.Sprintf("%d labels (%d bytes)", n, n)
	if limit <= 0 {
		limit = DefaultIDXLimit
	}
	if n > limit {
		return nil, fmt.Errorf("header declares %s, beyond the limit of %d bytes", what, limit)
	}
	return readPayload(src, n, what)
}

// gzipErr marks an error of the gzip layer, so that a corrupt or truncated
// compressed stream is not mistaken for a short IDX payload.
type gzipErr struct{ err error }

func (e *gzipErr) Error() string { return "gzip stream: " + e.err.Error() }
func (e *gzipErr) Unwrap() error { return e.err }

// gzipReader passes through a gzip.Reader, wrapping its errors other than
// io.EOF in gzipErr.
type gzipReader struct{ z *gzip.Reader }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.z.Read(p)
	if err != nil && err != io.EOF {
		err = &gzipErr{err}
	}
	return n, err
}

// idxSource returns r itself, or a decompressing reader when r starts with
// the gzip magic 1f 8b (an IDX file starts with two zero bytes).
func idxSource(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil && len(head) < 2 {
		if err == io.EOF {
			return br, nil // readHeader reports the short header
		}
		return nil, fmt.Errorf("reading: %w", err)
	}
	if head[0] != 0x1f || head[1] != 0x8b {
		return br, nil
	}
	z, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("gzip stream: bad header: %w", err)
	}
	return gzipReader{z}, nil
}

// readHeader fills hdr (magic then dimensions), checking the magic number
// as soon as its 4 bytes are in, so that a short file of the wrong kind is
// reported as such; a short stream is a truncated header.
func readHeader(r io.Reader, hdr []byte, magic uint32, kind string) error {
	got, err := io.ReadFull(r, hdr[:4])
	if err == nil {
		if m := binary.BigEndian.Uint32(hdr[:4]); m != magic {
			return badMagic(m, magic, kind)
		}
		var more int
		more, err = io.ReadFull(r, hdr[4:])
		got += more
	}
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return fmt.Errorf("truncated header: %d of %d bytes", got, len(hdr))
	case err != nil:
		return fmt.Errorf("reading header: %w", err)
	}
	return nil
}

func badMagic(got, want uint32, kind string) error {
	hint := ""
	switch got {
	case idxImagesMagic:
		hint = " (an image file)"
	case idxLabelsMagic:
		hint = " (a label file)"
	}
	return fmt.Errorf("bad magic number 0x%08x%s: want 0x%08x (%s)", got, hint, want, kind)
}

// readPayload reads exactly size bytes, growing the buffer only as data
// arrives, then checks that the stream ends there (see streamPayload). what
// describes the declared content for error messages.
func readPayload(r io.Reader, size int64, what string) ([]byte, error) {
	buf := make([]byte, 0, min(size, idxChunk))
	err := streamPayload(r, size, what, func(want int) []byte {
		if cap(buf)-len(buf) < want {
			grown := make([]byte, len(buf), min(size, max(2*int64(cap(buf)), int64(len(buf)+want))))
			copy(grown, buf)
			buf = grown
		}
		return buf[len(buf) : len(buf)+want]
	}, func(_ int64, p []byte) { buf = buf[:len(buf)+len(p)] })
	if err != nil {
		return nil, err
	}
	return buf, nil
}

// streamPayload reads exactly size bytes from r in pieces of at most
// idxChunk bytes, each read into the slice of that length that into
// returns and then handed to use with its offset in the payload, and then
// checks that the stream ends there (which also makes a gzip reader verify
// its checksum). A short stream is reported as truncated and an extra byte
// as trailing data; what describes the declared content for those errors.
func streamPayload(r io.Reader, size int64, what string, into func(want int) []byte, use func(off int64, p []byte)) error {
	var done int64
	for done < size {
		p := into(int(min(size-done, idxChunk)))
		got, err := io.ReadFull(r, p)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fmt.Errorf("truncated: header declares %s but only %d follow", what, done+int64(got))
		}
		if err != nil {
			return fmt.Errorf("reading payload after %d of %d bytes: %w", done+int64(got), size, err)
		}
		use(done, p)
		done += int64(len(p))
	}
	var one [1]byte
	got, err := io.ReadFull(r, one[:])
	if got > 0 {
		return fmt.Errorf("trailing data: more than the %s the header declares", what)
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("after the %s the header declares: %w", what, err)
	}
	return nil
}
