package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// PrintTable writes the human-readable result of a run.
func (r *Run) PrintTable(w io.Writer) {
	for _, p := range r.Phases {
		p.print(w)
	}
	if len(r.Headline) > 0 {
		fmt.Fprintln(w, "== headline")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, f := range r.Headline {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, FormatValue(f.Value), f.Unit)
		}
		tw.Flush()
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "ERROR: %s\n", e)
	}
	verdict := "PASS: every correctness check passed"
	if !r.Passed {
		verdict = "FAIL: see the failed checks and errors above"
	}
	fmt.Fprintln(w, verdict)
}

func (p *Phase) print(w io.Writer) {
	fmt.Fprintf(w, "== %s  (%s against %s, %.1fs)\n", p.Name, p.Scenario, p.Target, p.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range p.Figures {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, FormatValue(f.Value), f.Unit)
	}
	tw.Flush()
	if len(p.Latencies) > 0 {
		names := make([]string, 0, len(p.Latencies))
		for n := range p.Latencies {
			names = append(names, n)
		}
		sort.Strings(names)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "  latency (ms)\tcount\tp50\tp90\tp99\tp99.9\tmax\t\n")
		for _, n := range names {
			s := p.Latencies[n]
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", n, s.Count,
				ms(s.P50Ms), ms(s.P90Ms), ms(s.P99Ms), ms(s.P999Ms), ms(s.MaxMs))
		}
		tw.Flush()
	}
	if len(p.Counters) > 0 {
		names := make([]string, 0, len(p.Counters))
		for n := range p.Counters {
			names = append(names, n)
		}
		sort.Strings(names)
		parts := make([]string, 0, len(names))
		for _, n := range names {
			parts = append(parts, n+"="+strconv.FormatInt(p.Counters[n], 10))
		}
		fmt.Fprintf(w, "  counters: %s\n", strings.Join(parts, " "))
	}
	for _, c := range p.Checks {
		mark := "PASS"
		switch {
		case c.Skipped:
			mark = "SKIP"
		case !c.Passed:
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  [%s] %s", mark, c.Name)
		if c.Detail != "" {
			fmt.Fprintf(w, ": %s", c.Detail)
		}
		fmt.Fprintln(w)
		if !c.Passed && !c.Skipped {
			for _, e := range c.Examples {
				fmt.Fprintf(w, "         e.g. %s\n", e)
			}
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintln(w)
}

func ms(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// FormatValue prints a figure with thousands separators and a sensible
// number of decimals.
func FormatValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	abs := math.Abs(v)
	if v == math.Trunc(v) && abs < 1e15 {
		return groupThousands(strconv.FormatFloat(v, 'f', 0, 64))
	}
	switch {
	case abs >= 1000:
		return groupThousands(strconv.FormatFloat(v, 'f', 0, 64))
	case abs >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case abs >= 1 || abs == 0:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
