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
	src, err := idxSource(r)
	if err != nil {
		return nil, err
	}
	var hdr [16]byte
	if err := readHeader(src, hdr[:], idxImagesMagic, "IDX3 unsigned-byte images"); err != nil {
		return nil, err
	}
	n := int64(binary.BigEndian.Uint32(hdr[4:8]))
	rows := int64(binary.BigEndian.Uint32(hdr[8:12]))
	cols := int64(binary.BigEndian.Uint32(hdr[12:16]))
	if n < 1 || rows < 1 || cols < 1 || rows > idxMaxSide || cols > idxMaxSide {
		return nil, fmt.Errorf("bad header: declares %d images of %dx%d (need at least one image and 1..%d rows and columns)", n, rows, cols, idxMaxSide)
	}
	size := n * rows * cols // < 2^32 * 10^8, fits in int64
	what := fmt.Sprintf("%d images of %dx%d (%d bytes)", n, rows, cols, size)
	if limit <= 0 {
		limit = DefaultIDXLimit
	}
	if size > limit {
		return nil, fmt.Errorf("header declares %s, beyond the limit of %d bytes", what, limit)
	}
	pix, err := readPayload(src, size, what)
	if err != nil {
		return nil, err
	}
	return &IDXImages{N: int(n), Rows: int(rows), Cols: int(cols), Pixels: pix}, nil
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
	for i, p := range im.Pixels {
		images[i] = float64(p) / 255
	}
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

// readPayload reads exactly size bytes in chunks, growing the buffer only as
// data arrives, then checks that the stream ends there (which also makes a
// gzip reader verify its checksum). what describes the declared content for
// error messages.
func readPayload(r io.Reader, size int64, what string) ([]byte, error) {
	buf := make([]byte, 0, min(size, idxChunk))
	for int64(len(buf)) < size {
		want := int(min(size-int64(len(buf)), idxChunk))
		if cap(buf)-len(buf) < want {
			grown := make([]byte, len(buf), min(size, max(2*int64(cap(buf)), int64(len(buf)+want))))
			copy(grown, buf)
			buf = grown
		}
		got, err := io.ReadFull(r, buf[len(buf):len(buf)+want])
		buf = buf[:len(buf)+got]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("truncated: header declares %s but only %d follow", what, len(buf))
		}
		if err != nil {
			return nil, fmt.Errorf("reading payload after %d of %d bytes: %w", len(buf), size, err)
		}
	}
	var one [1]byte
	got, err := io.ReadFull(r, one[:])
	if got > 0 {
		return nil, fmt.Errorf("trailing data: more than the %s the header declares", what)
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("after the %s the header declares: %w", what, err)
	}
	return buf, nil
}
