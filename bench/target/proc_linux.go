//go:build linux

package target

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

func sysProcAttr() *syscall.SysProcAttr {
	// Own process group, so a Ctrl-C on the terminal reaches spine-bench
	// alone and it can shut the server down in order; SIGTERM when
	// spine-bench dies, so a killed run leaves no server behind.
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux platform Go supports.
const clockTicks = 100

// CPU returns the process's user+system CPU time so far.
func (p *Process) CPU() (time.Duration, error) { return ProcCPU(p.PID()) }

// RSS returns the process's resident set size (VmRSS) in bytes.
func (p *Process) RSS() (int64, error) { return ProcRSS(p.PID()) }

// NoFileLimit returns the process's soft limit on open files.
func (p *Process) NoFileLimit() (int64, error) { return ProcNoFile(p.PID()) }

// ProcCPU reads user+system CPU time of pid from /proc.
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	st, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// ProcRSS reads VmRSS of pid from /proc, in bytes.
func ProcRSS(pid int) (int64, error) {
	return procStatusKB(pid, "VmRSS:")
}

func procStatusKB(pid int, key string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if bytes.HasPrefix(line, []byte(key)) {
			f := bytes.Fields(line[len(key):])
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseInt(string(f[0]), 10, 64)
			if err != nil {
				return 0, err
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, key)
}

// ProcNoFile reads the soft "Max open files" limit of pid.
func ProcNoFile(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("Max open files")) {
			f := bytes.Fields(line[len("Max open files"):])
			if len(f) == 0 {
				break
			}
			if string(f[0]) == "unlimited" {
				return 1 << 62, nil
			}
			return strconv.ParseInt(string(f[0]), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/limits: no Max open files", pid)
}

// SelfCPU returns this process's user+system CPU time.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// RaiseNoFile raises this process's soft RLIMIT_NOFILE towards want (up to
// the hard limit) and reports the soft and hard limits in force afterwards.
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
