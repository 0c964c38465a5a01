package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestWholeNumber is a table of JSON numbers read as whole numbers in
// [1, 100]: the same number however it is written, and every number that
// does not fit named rather than rounded.
func TestWholeNumber(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		msg  string
	}{
		{in: "1", want: 1},
		{in: "100", want: 100},
		{in: "7.0", want: 7},
		{in: "7e0", want: 7},
		{in: "0.7e1", want: 7},
		{in: "1E2", want: 100},
		{in: "0", msg: "must be from 1 to 100, not 0"},
		{in: "-0", msg: "must be from 1 to 100, not -0"},
		{in: "-3", msg: "must be from 1 to 100, not -3"},
		{in: "101", msg: "must be from 1 to 100, not 101"},
		{in: "7.5", msg: "must be a whole number, not 7.5"},
		{in: "1e-7", msg: "must be a whole number, not 1e-7"},
		{in: "9223372036854775807", msg: "must be from 1 to 100, not 9223372036854775807"},
		{in: "9223372036854775808", msg: "must be from 1 to 100, not 9223372036854775808"},
		{in: "-9223372036854775809", msg: "must be from 1 to 100, not -9223372036854775809"},
		{in: "1e19", msg: "must be from 1 to 100, not 1e19"},
		{in: "1e400", msg: "must be from 1 to 100, not 1e400"},
		{in: "-1e400", msg: "must be from 1 to 100, not -1e400"},
		{in: strings.Repeat("9", 60), msg: "must be from 1 to 100, not " + strings.Repeat("9", 40) + "…"},
	}
	for _, tt := range tests {
		n, msg := wholeNumber(tt.in, 1, 100)
		if n != tt.want || msg != tt.msg {
			t.Errorf("wholeNumber(%s) = %d, %q; want %d, %q", tt.in, n, msg, tt.want, tt.msg)
		}
	}
}

// TestReadJSONObject is a table of bodies and how each is refused: what
// is not one JSON value is a 400, JSON that is not an object a 422.
func TestReadJSONObject(t *testing.T) {
	tests := []struct {
		name, body string
		wantStatus int
		wantMsg    string
	}{
		{name: "object", body: ` {"a": [1, {"b": null}]} `},
		{name: "empty", body: "", wantStatus: 400, wantMsg: "the body is empty; send a JSON object"},
		{name: "white space", body: " \n\t", wantStatus: 400, wantMsg: "the body is empty; send a JSON object"},
		{name: "not UTF-8", body: "{\"a\": \"\xc3\x28\"}", wantStatus: 400, wantMsg: "the body is not valid UTF-8"},
		{name: "unclosed", body: `{"a": 1`, wantStatus: 400, wantMsg: "the JSON ends too soon"},
		{name: "syntax", body: `{"a" 1}`, wantStatus: 400, wantMsg: "invalid character '1' after object key at byte 6"},
		{name: "single quotes", body: `{'a': 1}`, wantStatus: 400, wantMsg: "invalid character '\\'' at byte 2"},
		{name: "trailing comma", body: `{"a": 1,}`, wantStatus: 400, wantMsg: "invalid character '}' looking for beginning of object key string at byte 9"},
		{name: "two values", body: `{} {}`, wantStatus: 400, wantMsg: "unexpected data after the JSON value at byte 4"},
		{name: "trailing garbage", body: `{}x`, wantStatus: 400, wantMsg: "unexpected data after the JSON value at byte 3"},
		{name: "a name twice", body: `{"a": 1, "a": 2}`, wantStatus: 400, wantMsg: `the name "a" appears twice`},
		{name: "a nested name twice", body: `{"items": [{"q": 1, "q": 2}]}`, wantStatus: 400, wantMsg: `the name "items[0].q" appears twice`},
		{name: "too deep", body: strings.Repeat("[", 17) + strings.Repeat("]", 17), wantStatus: 400, wantMsg: "the JSON nests deeper than 16 levels"},
		{name: "array", body: `[]`, wantStatus: 422, wantMsg: "must be a JSON object, not an array"},
		{name: "string", body: `"hi"`, wantStatus: 422, wantMsg: "must be a JSON object, not a string"},
		{name: "number", body: `12`, wantStatus: 422, wantMsg: "must be a JSON object, not the number 12"},
		{name: "null", body: `null`, wantStatus: 422, wantMsg: "must be a JSON object, not null"},
	}
	e := echo.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.NewContext(httptest.NewRequest("POST", "/", strings.NewReader(tt.body)), httptest.NewRecorder())
			obj, err := readJSONObject(c)
			if tt.wantStatus == 0 {
				if err != nil || obj == nil {
					t.Fatalf("readJSONObject = %v, %v", obj, err)
				}
				return
			}
			p, ok := err.(*problem)
			if !ok || p.Status != tt.wantStatus || len(p.Errors) != 1 || p.Errors[0].Field != "" || p.Errors[0].Message != tt.wantMsg {
				t.Errorf("err = %v, want %d naming the body: %q", err, tt.wantStatus, tt.wantMsg)
			}
		})
	}
}
