//go:build !linux

package target

import (
	"errors"
	"syscall"
	"time"
)

var errNoProc = errors.New("target: process figures need Linux /proc")

func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// CPU is unavailable off Linux.
func (p *Process) CPU() (time.Duration, error) { return 0, errNoProc }

// RSS is unavailable off Linux.
func (p *Process) RSS() (int64, error) { return 0, errNoProc }

// NoFileLimit is unavailable off Linux.
func (p *Process) NoFileLimit() (int64, error) { return 0, errNoProc }

// ProcCPU is unavailable off Linux.
func ProcCPU(int) (time.Duration, error) { return 0, errNoProc }

// ProcRSS is unavailable off Linux.
func ProcRSS(int) (int64, error) { return 0, errNoProc }

// SelfCPU is unavailable off Linux.
func SelfCPU() time.Duration { return 0 }

// RaiseNoFile raises the soft RLIMIT_NOFILE towards want.
func RaiseNoFile(want uint64) (soft, hard uint64, err error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0, err
	}
	if rl.Cur < want {
		nl := rl
		nl.Cur = min(want, rl.Max)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &nl); err != nil {
			return rl.Cur, rl.Max, err
		}
		rl = nl
	}
	return rl.Cur, rl.Max, nil
}
