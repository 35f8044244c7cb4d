//go:build !linux

package gateway

import "errors"

// residentBytes is only known on Linux (from /proc).
func residentBytes() (uint64, error) {
	return 0, errors.New("resident memory is read from /proc, which this OS lacks")
}
