package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// RunsDir is the folder, inside an output directory, that holds the run part
// files.
const RunsDir = "runs"

// Defaults of WriterOptions.
const (
	DefaultFlushRows     = 64
	DefaultFlushInterval = 30 * time.Second
	DefaultRowGroupRows  = 1024
)

// WriterOptions tune a Writer. The zero value is valid: every zero field
// takes its default.
type WriterOptions struct {
	// Prefix makes this writer's part file names distinct from every other
	// writer's in the same folder: files are named
	// part-<Prefix>-<seq>.parquet. The CLI passes something unique per
	// invocation and shard, e.g. "s0of4-20261203T160102Z-12345". Empty
	// means "<UTC time>-<pid>". It must not contain a path separator.
	Prefix string
	// FlushRows publishes a part file once this many rows are buffered
	// (default 64).
	FlushRows int
	// FlushInterval publishes a part file at the first Write that comes this
	// long after the oldest buffered row was written (default 30s), so that a
	// slow sweep still leaves its finished runs on disk regularly.
	FlushInterval time.Duration
	// RowGroupRows bounds the rows per Parquet row group (default 1024).
	RowGroupRows int64
	// CreateTemp creates the temporary file a part is written to before it
	// is renamed into place; nil means os.CreateTemp. It exists so tests can
	// simulate a disk that refuses writes.
	CreateTemp func(dir, pattern string) (*os.File, error)
	// Now is the clock used for FlushInterval; nil means time.Now.
	Now func() time.Time
}

func (o WriterOptions) withDefaults() WriterOptions {
	if o.Prefix == "" {
		o.Prefix = fmt.Sprintf("%s-%d", time.Now().UTC().Format("20060102T150405Z"), os.Getpid())
	}
	if o.FlushRows <= 0 {
		o.FlushRows = DefaultFlushRows
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = DefaultRowGroupRows
	}
	if o.CreateTemp == nil {
		o.CreateTemp = os.CreateTemp
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Writer appends run rows to DIR/runs, and trajectory rows to
// DIR/trajectories, as sequences of complete Parquet part files. Rows are
// buffered in memory and published every FlushRows run rows, after
// FlushInterval, and on Flush and Close. Publishing writes a temporary
// file (whose name does not match *.parquet), fsyncs it, renames it to its
// final name without ever replacing an existing file, and fsyncs the folder,
// so a crash at any moment leaves only whole part files behind: at most the
// buffered rows are lost.
//
// Every flush publishes the buffered trajectory rows before the buffered
// run rows, so a run's trajectory is on disk no later than its run row
// when WriteTrajectory is called before Write for that run (see
// ReadTrajectories for what a crash in between leaves).
//
// A Writer is not safe for concurrent use: one goroutine owns it.
type Writer struct {
	dir  string
	opt  WriterOptions
	pw   *partWriter[Row]
	traj *partWriter[TrajectoryRow] // nil until the first WriteTrajectory
}

// NewWriter creates DIR/runs if needed and returns a Writer publishing into
// it. DIR/trajectories is created by the first WriteTrajectory.
func NewWriter(dir string, opt WriterOptions) (*Writer, error) {
	pw, err := newPartWriter[Row](filepath.Join(dir, RunsDir), SchemaVersion, opt)
	if err != nil {
		return nil, err
	}
	return &Writer{dir: dir, opt: opt, pw: pw}, nil
}

// Write buffers r and publishes part files (trajectories first, then runs)
// when FlushRows or FlushInterval is reached. On error the rows stay
// buffered, so a later Flush or Close retries them.
func (w *Writer) Write(r Row) error {
	due, err := w.pw.add(r)
	if err != nil || !due {
		return err
	}
	return w.Flush()
}

// Flush publishes the buffered trajectory rows as one part file, then the
// buffered run rows as another; a kind with nothing buffered writes no file.
// If the trajectory part cannot be published, the run rows are not
// published either.
func (w *Writer) Flush() error {
	if w.traj != nil {
		if err := w.traj.flush(); err != nil {
			return err
		}
	}
	return w.pw.flush()
}

// Close flushes the buffered rows. A Writer with nothing buffered writes no
// file. The Writer must not be used after Close.
func (w *Writer) Close() error {
	if w.pw.closed {
		return nil
	}
	if err := w.Flush(); err != nil {
		return err
	}
	w.pw.closed = true
	if w.traj != nil {
		w.traj.closed = true
	}
	return nil
}

// Parts returns the paths of the run part files this Writer has published,
// in order.
func (w *Writer) Parts() []string { return append([]string(nil), w.pw.parts...) }

// partWriter is the schema-independent machinery behind Writer: one folder
// of part files of one row type.
type partWriter[T any] struct {
	dir     string
	schema  string // stored as "ncsweep.schema" metadata in every part
	opt     WriterOptions
	seq     int
	buf     []T
	firstAt time.Time // when the oldest buffered row was written
	parts   []string
	closed  bool
}

func newPartWriter[T any](dir, schema string, opt WriterOptions) (*partWriter[T], error) {
	opt = opt.withDefaults()
	if strings.ContainsAny(opt.Prefix, `/\`) {
		return nil, fmt.Errorf("results: writer prefix %q must not contain a path separator", opt.Prefix)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("results: create part folder %s: %w", dir, err)
	}
	return &partWriter[T]{dir: dir, schema: schema, opt: opt}, nil
}

// add buffers r and reports whether FlushRows or FlushInterval is reached.
func (w *partWriter[T]) add(r T) (due bool, err error) {
	if w.closed {
		return false, fmt.Errorf("results: write to closed writer for %s", w.dir)
	}
	now := w.opt.Now()
	if len(w.buf) == 0 {
		w.firstAt = now
	}
	w.buf = append(w.buf, r)
	return len(w.buf) >= w.opt.FlushRows || now.Sub(w.firstAt) >= w.opt.FlushInterval, nil
}

func (w *partWriter[T]) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	path, seq, err := publish(w.dir, w.schema, w.opt, w.seq, w.buf)
	if err != nil {
		return err
	}
	w.parts = append(w.parts, path)
	w.seq = seq + 1
	clear(w.buf) // drop references held by the backing array
	w.buf = w.buf[:0]
	return nil
}

// schemaMetaKey is the part files' key/value metadata key naming the row
// layout (SchemaVersion for runs).
const schemaMetaKey = "ncsweep.schema"

// maxSeqProbe bounds the search for a free part name.
const maxSeqProbe = 1 << 20

// publish writes rows as one Parquet file into dir (with schema as its
// "ncsweep.schema" metadata), named
// part-<prefix>-<seq>.parquet with the first seq >= startSeq whose name is
// free. It returns the final path and the seq used. On error no file is left
// behind and no existing file is touched.
func publish[T any](dir, schema string, opt WriterOptions, startSeq int, rows []T) (path string, seq int, err error) {
	tmp, err := writeTemp(dir, schema, opt, rows)
	if err != nil {
		return "", 0, err
	}
	// The temp name is gone after a fallback rename; after a link it is a
	// second name of the published file. Either way remove it. A failure to
	// remove it is not reported: the rows are published, and a stray temp
	// file is ignored by every reader.
	defer os.Remove(tmp)
	for seq = startSeq; seq < startSeq+maxSeqProbe; seq++ {
		path = filepath.Join(dir, fmt.Sprintf("part-%s-%05d.parquet", opt.Prefix, seq))
		err = placeNoClobber(tmp, path)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", 0, fmt.Errorf("results: publish %s: %w", path, err)
		}
		if err := syncDir(dir); err != nil {
			return "", 0, fmt.Errorf("results: publish %s: %w", path, err)
		}
		return path, seq, nil
	}
	return "", 0, fmt.Errorf("results: no free part name in %s for prefix %q", dir, opt.Prefix)
}

// placeNoClobber gives the file tmp the name path, failing with an error
// wrapping fs.ErrExist if path exists. A hard link is atomic and never
// replaces its target; where the file system has no hard links, fall back
// to check-then-rename, which is safe because part names are unique per
// writer.
func placeNoClobber(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, statErr := os.Lstat(path); statErr == nil {
		return fs.ErrExist
	}
	return os.Rename(tmp, path)
}

// writeTemp writes rows to a new temporary file in dir (name
// .part-<prefix>-*.parquet.tmp, which never matches *.parquet), fsyncs and
// closes it, and returns its path. On error the file is removed.
func writeTemp[T any](dir, schema string, opt WriterOptions, rows []T) (tmp string, err error) {
	f, err := opt.CreateTemp(dir, ".part-"+opt.Prefix+"-*.parquet.tmp")
	if err != nil {
		return "", fmt.Errorf("results: create temporary part in %s: %w", dir, err)
	}
	name := f.Name() // not tmp: an error return sets tmp to ""
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(name)
		}
	}()
	tmp = name
	// os.CreateTemp makes the file 0600; published results should be
	// readable by the group as any other output (the umask does not apply
	// to Chmod, so use the conventional 0644).
	if err := f.Chmod(0o644); err != nil {
		return "", fmt.Errorf("results: chmod temporary part %s: %w", tmp, err)
	}
	pw := parquet.NewGenericWriter[T](f,
		parquet.Compression(&parquet.Zstd),
		parquet.MaxRowsPerRowGroup(opt.RowGroupRows),
		parquet.KeyValueMetadata(schemaMetaKey, schema),
	)
	if _, err := pw.Write(rows); err != nil {
		return "", fmt.Errorf("results: write temporary part %s: %w", tmp, err)
	}
	if err := pw.Close(); err != nil {
		return "", fmt.Errorf("results: finish temporary part %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("results: fsync temporary part %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("results: close temporary part %s: %w", tmp, err)
	}
	return tmp, nil
}

// syncDir fsyncs a folder so that a rename or link in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder for fsync: %w", err)
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("fsync folder %s: %w", dir, err)
	}
	return d.Close()
}
