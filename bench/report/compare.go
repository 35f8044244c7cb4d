package report

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// Comparison is one figure present in both runs.
type Comparison struct {
	Name   string
	A, B   float64
	Unit   string
	Ratio  float64 // B / A; 0 when A is 0
	Better Direction
}

// Verdict says whether B improved on A for this figure, given its
// direction; changes within 2% are "same".
func (c Comparison) Verdict() string {
	if c.Better == Neutral || c.A == 0 {
		return ""
	}
	switch {
	case c.Ratio > 1.02:
		if c.Better == HigherIsBetter {
			return "better"
		}
		return "worse"
	case c.Ratio < 0.98:
		if c.Better == LowerIsBetter {
			return "better"
		}
		return "worse"
	}
	return "same"
}

// Compare pairs the figures of two runs by name, in a's order. Figures
// present in only one run are listed in onlyA and onlyB.
func Compare(a, b *Run) (pairs []Comparison, onlyA, onlyB []string) {
	fb := map[string]Figure{}
	for _, f := range b.Flatten() {
		fb[f.Name] = f
	}
	seen := map[string]bool{}
	for _, f := range a.Flatten() {
		seen[f.Name] = true
		g, ok := fb[f.Name]
		if !ok {
			onlyA = append(onlyA, f.Name)
			continue
		}
		c := Comparison{Name: f.Name, A: f.Value, B: g.Value, Unit: f.Unit, Better: f.Better}
		if f.Value != 0 {
			c.Ratio = g.Value / f.Value
		}
		pairs = append(pairs, c)
	}
	for _, f := range b.Flatten() {
		if !seen[f.Name] {
			onlyB = append(onlyB, f.Name)
		}
	}
	return pairs, onlyA, onlyB
}

// PrintComparison writes the per-figure ratios of b over a.
func PrintComparison(w io.Writer, aName, bName string, a, b *Run) {
	pairs, onlyA, onlyB := Compare(a, b)
	fmt.Fprintf(w, "A = %s (%s)\nB = %s (%s)\n\n", aName, verdictWord(a), bName, verdictWord(b))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "figure\tA\tB\tunit\tB/A\t\n")
	for _, c := range pairs {
		ratio := "-"
		if c.A != 0 {
			ratio = strconv.FormatFloat(c.Ratio, 'f', 3, 64) + "x"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, FormatValue(c.A), FormatValue(c.B), c.Unit, ratio, c.Verdict())
	}
	tw.Flush()
	for _, n := range onlyA {
		fmt.Fprintf(w, "only in A: %s\n", n)
	}
	for _, n := range onlyB {
		fmt.Fprintf(w, "only in B: %s\n", n)
	}
}

func verdictWord(r *Run) string {
	if r.Passed {
		return "passed"
	}
	return "FAILED checks"
}
