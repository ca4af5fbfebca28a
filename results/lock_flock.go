//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package results

import (
	"fmt"
	"os"
	"syscall"
)

// lockFile takes, best effort, an exclusive advisory lock on path (created if missing),
// blocking until it is free, and returns the function that releases it. The
// kernel drops the lock if the process dies, so a kill -9 leaves no stale
// lock behind.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		// Some network file systems refuse flock (ENOLCK, EOPNOTSUPP). The
		// lock only protects the invocation history, so go on without it
		// rather than fail the sweep.
		f.Close()
		return func() {}, nil
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// tryLockFile is lockFile without waiting: busy is true when another
// process holds the lock. File systems that refuse flock give no lock and
// no error, as in lockFile.
func tryLockFile(path string) (unlock func(), busy bool, err error) {
	return tryFlock(path, syscall.LOCK_EX)
}

// tryLockFileShared is tryLockFile with a shared lock: several holders
// may share it, and it makes an exclusive tryLockFile busy.
func tryLockFileShared(path string) (unlock func(), busy bool, err error) {
	return tryFlock(path, syscall.LOCK_SH)
}

func tryFlock(path string, how int) (unlock func(), busy bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("open lock file: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.EWOULDBLOCK {
		f.Close()
		return nil, true, nil
	}
	if err != nil {
		f.Close()
		return func() {}, false, nil
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, false, nil
}
