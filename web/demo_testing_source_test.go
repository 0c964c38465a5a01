package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The testing lesson shows TestFlightAPI and its handler-test demo runs
// the same cases and prints the same failures. These tests read the test
// file as source, so neither the lesson nor the demo can drift from it.

const testingLesson = "../content/lessons/033-testing-and-debugging.md"

// flightAPITest parses flight_api_test.go and returns TestFlightAPI, its
// source text and the file set.
func flightAPITest(t *testing.T) (*ast.FuncDecl, string, *token.FileSet) {
	t.Helper()
	src, err := os.ReadFile(flightAPITestFile)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, flightAPITestFile, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "TestFlightAPI" {
			return fn, string(src[fset.Position(fn.Pos()).Offset:fset.Position(fn.End()).Offset]), fset
		}
	}
	t.Fatalf("%s has no TestFlightAPI", flightAPITestFile)
	return nil, "", nil
}

// fencedBlocks returns the bodies of the Markdown code blocks fenced with
// ```lang.
func fencedBlocks(md, lang string) []string {
	var out []string
	rest := md
	for {
		_, after, ok := strings.Cut(rest, "\n```"+lang+"\n")
		if !ok {
			return out
		}
		body, tail, ok := strings.Cut(after, "\n```\n")
		if !ok {
			return out
		}
		out = append(out, body)
		rest = "\n" + tail
	}
}

func TestTestingLessonShowsTheTest(t *testing.T) {
	_, src, _ := flightAPITest(t)
	md, err := os.ReadFile(testingLesson)
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, b := range fencedBlocks(string(md), "go") {
		if strings.HasPrefix(b, "func TestFlightAPI(") {
			shown = append(shown, b)
		}
	}
	if len(shown) != 1 {
		t.Fatalf("the lesson shows TestFlightAPI in %d go blocks, want 1", len(shown))
	}
	if shown[0] != src {
		t.Errorf("the lesson's TestFlightAPI differs from %s; copy the function into the lesson again.\nlesson:\n%s\n\nsource:\n%s", flightAPITestFile, shown[0], src)
	}
}

func TestHandlerTestDemoRunsTheTestsCases(t *testing.T) {
	fn, _, fset := flightAPITest(t)
	var rows []flightAPICase
	var checks []string
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if id, ok := n.Lhs[0].(*ast.Ident); ok && id.Name == "tests" {
				for _, e := range n.Rhs[0].(*ast.CompositeLit).Elts {
					rows = append(rows, flightAPIRow(t, e.(*ast.CompositeLit)))
				}
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Errorf" {
				format, err := strconv.Unquote(n.Args[0].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				checks = append(checks, strconv.Itoa(fset.Position(n.Pos()).Line)+": "+format)
			}
		}
		return true
	})
	if !slices.Equal(rows, flightAPICases) {
		t.Errorf("TestFlightAPI's rows:\n%+v\nthe demo's:\n%+v", rows, flightAPICases)
	}
	want := []string{
		strconv.Itoa(flightAPIStatusLine) + ": " + flightAPIStatusMsg,
		strconv.Itoa(flightAPITypeLine) + ": " + flightAPITypeMsg,
		strconv.Itoa(flightAPIBodyLine) + ": " + flightAPIBodyMsg,
	}
	if !slices.Equal(checks, want) {
		t.Errorf("TestFlightAPI's checks (line: message):\n%q\nthe demo prints:\n%q", checks, want)
	}
}

// flightAPIRow reads one row of the table: every field a literal.
func flightAPIRow(t *testing.T, lit *ast.CompositeLit) flightAPICase {
	t.Helper()
	var c flightAPICase
	for _, e := range lit.Elts {
		kv := e.(*ast.KeyValueExpr)
		v := kv.Value.(*ast.BasicLit).Value
		s, _ := strconv.Unquote(v)
		switch kv.Key.(*ast.Ident).Name {
		case "name":
			c.name = s
		case "path":
			c.path = s
		case "wantStatus":
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			c.wantStatus = n
		case "wantType":
			c.wantType = s
		case "wantBody":
			c.wantBody = s
		default:
			t.Fatalf("unknown field %v", kv.Key)
		}
	}
	return c
}
