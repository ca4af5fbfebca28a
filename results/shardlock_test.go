package results

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestLockShard checks that a shard can be claimed once at a time, that
// other shards are independent, and that releasing frees it.
func TestLockShard(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	unlock, err := LockShard(dir, "0/2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockShard(dir, "0/2"); !errors.Is(err, ErrShardBusy) {
		t.Fatalf("second claim of 0/2: %v, want ErrShardBusy", err)
	}
	other, err := LockShard(dir, "1/2")
	if err != nil {
		t.Fatalf("shard 1/2 next to 0/2: %v", err)
	}
	if _, err := LockShard(dir, "0/1"); !errors.Is(err, ErrShardBusy) {
		t.Errorf("whole-grid claim beside shards of 2: %v, want ErrShardBusy", err)
	}
	if _, err := LockShard(dir, "3/4"); !errors.Is(err, ErrShardBusy) {
		t.Errorf("shard 3/4 beside shards of 2: %v, want ErrShardBusy", err)
	}
	other()
	unlock()
	whole, err := LockShard(dir, "0/1")
	if err != nil {
		t.Fatalf("whole-grid claim once the shards of 2 are released: %v", err)
	}
	if _, err := LockShard(dir, "1/2"); !errors.Is(err, ErrShardBusy) {
		t.Errorf("shard 1/2 beside a whole-grid run: %v, want ErrShardBusy", err)
	}
	whole()
	again, err := LockShard(dir, "0/2")
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	again()
}
