package web

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestQRCode checks the drawing of a QR code without decoding it: its
// size, the empty quiet zone, a module count that matches its version,
// and the finder and timing patterns where that module count puts them.
func TestQRCode(t *testing.T) {
	tests := []struct {
		text    string
		version int // level M, byte mode: 14, 26, 42, 62 bytes fit versions 1 to 4
	}{
		{text: "https://a.example/", version: 2},
		{text: "http://127.0.0.1:8080/lessons/cache-aside", version: 3},
		{text: "https://engineroom.example/lessons/what-happens-when-you-click", version: 4},
		{text: "https://engineroom.example/" + strings.Repeat("x", 120), version: 8},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			q, err := qrCode(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if q.Text != tt.text {
				t.Errorf("Text = %q, want %q", q.Text, tt.text)
			}
			if q.Version != tt.version {
				t.Errorf("Version = %d, want %d", q.Version, tt.version)
			}
			if want := 17 + 4*tt.version; q.Modules != want {
				t.Errorf("Modules = %d, want 17 + 4 × %d = %d", q.Modules, tt.version, want)
			}
			if q.Quiet != 4 || q.Side != q.Modules+8 {
				t.Errorf("Quiet = %d, Side = %d; want 4 and Modules + 8 = %d", q.Quiet, q.Side, q.Modules+8)
			}
			dark := drawnModules(t, q.Path, q.Side)
			for y := range q.Side {
				for x := range q.Side {
					inside := x >= q.Quiet && x < q.Quiet+q.Modules && y >= q.Quiet && y < q.Quiet+q.Modules
					if dark[y][x] && !inside {
						t.Fatalf("module (%d, %d) is dark in the quiet zone", x, y)
					}
				}
			}
			at := func(x, y int) bool { return dark[y+q.Quiet][x+q.Quiet] }
			// A finder pattern in three corners: a dark ring, a light ring,
			// a dark 3×3 core, and a light separator around it.
			for _, c := range [][2]int{{0, 0}, {q.Modules - 7, 0}, {0, q.Modules - 7}} {
				for dy := -1; dy <= 7; dy++ {
					for dx := -1; dx <= 7; dx++ {
						x, y := c[0]+dx, c[1]+dy
						if x < 0 || y < 0 || x >= q.Modules || y >= q.Modules {
							continue
						}
						ring := max(qrAbs(dx-3), qrAbs(dy-3))
						if want := ring == 3 || ring <= 1; at(x, y) != want {
							t.Fatalf("finder at %v: module (%d, %d) dark = %v, want %v", c, x, y, at(x, y), want)
						}
					}
				}
			}
			// The timing patterns alternate between the finders, along
			// row 6 and column 6: only right when the module count is.
			for i := 8; i < q.Modules-8; i++ {
				if at(i, 6) != (i%2 == 0) || at(6, i) != (i%2 == 0) {
					t.Fatalf("timing pattern broken at %d", i)
				}
			}
		})
	}
	t.Run("too long", func(t *testing.T) {
		if _, err := qrCode(strings.Repeat("x", 3000)); err == nil {
			t.Error("3,000 bytes encoded; want an error")
		}
	})
}

var qrRunRE = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// drawnModules reads the path back into a grid of side × side modules,
// failing on anything that is not a run of whole modules inside the SVG.
func drawnModules(t *testing.T, path string, side int) [][]bool {
	t.Helper()
	grid := make([][]bool, side)
	for i := range grid {
		grid[i] = make([]bool, side)
	}
	if rest := qrRunRE.ReplaceAllString(path, ""); rest != "" {
		t.Fatalf("the path has more than runs of modules: %.80q", rest)
	}
	for _, m := range qrRunRE.FindAllStringSubmatch(path, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		if m[3] != m[4] || n < 1 || x+n > side || y >= side {
			t.Fatalf("run %q does not fit a %d-module code", m[0], side)
		}
		for i := range n {
			if grid[y][x+i] {
				t.Fatalf("module (%d, %d) drawn twice", x+i, y)
			}
			grid[y][x+i] = true
		}
	}
	return grid
}

func qrAbs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
