package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrShardBusy reports that another process is writing the same shard into
// the same output folder.
var ErrShardBusy = errors.New("another ncsweep process is writing this shard into this output folder")

// LockShard claims shard (a label "i/n") of the output folder dir for this
// process, so that two processes cannot write the same runs into one folder
// at once and leave duplicate rows. Two claims conflict when they name the
// same shard (a SLURM task resubmitted while the first still runs) or
// shards of different layouts (n differs: a whole-grid run beside an
// array's shard), which may share runs; shards of one layout proceed side
// by side. It creates dir if needed and returns the function that releases
// the claim; the kernel releases it if the process dies. A conflict gives
// an error wrapping ErrShardBusy.
//
// How: a shared lock on .layout-<n>.lock, a probe that every other
// .layout-*.lock is free (an exclusive non-blocking lock, released at
// once), and an exclusive lock on .shard-<i>of<n>.lock. Two layouts that
// start at the same moment may both be refused, never both admitted.
func LockShard(dir, shard string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("results: create output folder %s: %w", dir, err)
	}
	label := filepath.Base(filepath.Clean("/" + shardLabel(shard)))
	layout := label
	if _, n, ok := strings.Cut(label, "of"); ok {
		layout = n
	}
	mine := filepath.Join(dir, ".layout-"+layout+".lock")
	unlockLayout, busy, err := tryLockFileShared(mine)
	if err != nil {
		return nil, fmt.Errorf("results: lock shard %s in %s: %w", shard, dir, err)
	}
	if busy {
		return nil, fmt.Errorf("shard %s of %s (another process holds the layout): %w", shard, dir, ErrShardBusy)
	}
	others, _ := filepath.Glob(filepath.Join(dir, ".layout-*.lock"))
	for _, o := range others {
		if o == mine {
			continue
		}
		probe, busy, err := tryLockFile(o)
		if err != nil {
			unlockLayout()
			return nil, fmt.Errorf("results: lock shard %s in %s: %w", shard, dir, err)
		}
		if busy {
			unlockLayout()
			return nil, fmt.Errorf("shard %s of %s (a process runs the same grid split another way: %s): %w",
				shard, dir, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(o), ".layout-"), ".lock")+" shards", ErrShardBusy)
		}
		probe()
	}
	unlockShard, busy, err := tryLockFile(filepath.Join(dir, ".shard-"+label+".lock"))
	if err != nil {
		unlockLayout()
		return nil, fmt.Errorf("results: lock shard %s in %s: %w", shard, dir, err)
	}
	if busy {
		unlockLayout()
		return nil, fmt.Errorf("shard %s of %s: %w", shard, dir, ErrShardBusy)
	}
	return func() { unlockShard(); unlockLayout() }, nil
}

// shardLabel turns "i/n" into a file-name part "iofn".
func shardLabel(shard string) string {
	out := []rune{}
	for _, r := range shard {
		if r == '/' {
			out = append(out, 'o', 'f')
			continue
		}
		out = append(out, r)
	}
	return string(out)
}
