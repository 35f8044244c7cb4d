package gateway

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// residentBytes reads this process's resident set size.
func residentBytes() (uint64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := bytes.Fields(v)
			if len(f) >= 1 {
				kb, err := strconv.ParseUint(string(f[0]), 10, 64)
				return kb * 1024, err
			}
		}
	}
	return 0, fmt.Errorf("VmRSS not found")
}
