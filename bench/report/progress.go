package report

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Progress prints a live status line. On a terminal it rewrites one line in
// place; otherwise it prints plain lines, one per interval, so that logs and
// CI output stay readable.
type Progress struct {
	w        io.Writer
	tty      bool
	interval time.Duration

	mu      sync.Mutex // guards Start and Stop
	wmu     sync.Mutex // serialises writes to w
	stop    chan struct{}
	done    chan struct{}
	printed bool
}

// NewProgress writes to w every interval (1s on a terminal and 5s
// otherwise when interval is 0). A negative interval disables it.
func NewProgress(w io.Writer, interval time.Duration) *Progress {
	tty := isTerminal(w)
	if interval == 0 {
		interval = time.Second
		if !tty {
			interval = 5 * time.Second
		}
	}
	return &Progress{w: w, tty: tty, interval: interval}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0
}

// Start calls line every interval and prints its result until Stop. Only
// one line function runs at a time.
func (p *Progress) Start(line func(elapsed time.Duration) string) {
	if p == nil || p.interval < 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop != nil {
		return
	}
	p.stop = make(chan struct{})
	p.done = make(chan struct{})
	start := time.Now()
	go func(stop, done chan struct{}) {
		defer close(done)
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s := line(time.Since(start))
				p.wmu.Lock()
				if p.tty {
					fmt.Fprintf(p.w, "\r\033[K%s", s)
				} else {
					fmt.Fprintln(p.w, s)
				}
				p.printed = true
				p.wmu.Unlock()
			}
		}
	}(p.stop, p.done)
}

// Stop ends the line started by Start and waits for its goroutine.
func (p *Progress) Stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.stop, p.done = nil, nil
	if p.tty && p.printed {
		fmt.Fprint(p.w, "\r\033[K")
	}
	p.printed = false
}

// Printf prints a status message on its own line (clearing a live line).
func (p *Progress) Printf(format string, args ...any) {
	if p == nil {
		return
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}
