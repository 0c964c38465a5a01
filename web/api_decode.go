package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// maxJSONDepth bounds how deeply a request body may nest.
const maxJSONDepth = 16

// readJSONObject reads a request body that must be exactly one JSON
// object. Bytes that are not JSON (empty, invalid UTF-8, a syntax error,
// data after the value, a name given twice) are a 400; JSON that is not
// an object is a 422. Numbers stay json.Number, so none is rounded.
func readJSONObject(c echo.Context) (map[string]any, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, readBodyError(err)
	}
	malformed := func(msg string) error {
		return newProblem(problemMalformedJSON, http.StatusBadRequest, "The body is not one JSON value: "+msg+".",
			fieldError{Field: "", Message: msg})
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, malformed("the body is empty; send a JSON object")
	}
	if !utf8.Valid(body) {
		return nil, malformed("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	v, err := decodeValue(dec, "", 0)
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Token reports the offset of the byte at fault; people count
			// from 1.
			return nil, malformed(fmt.Sprintf("%s at byte %d", strings.TrimPrefix(se.Error(), "json: "), se.Offset+1))
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, malformed("the JSON ends too soon")
		}
		return nil, malformed(err.Error())
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		rest := body[end:]
		at := end + int64(len(rest)-len(bytes.TrimLeft(rest, " \t\r\n"))) + 1
		return nil, malformed(fmt.Sprintf("unexpected data after the JSON value at byte %d", at))
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, newProblem(problemInvalidBody, http.StatusUnprocessableEntity, "The body must be a JSON object.",
			fieldError{Field: "", Message: "must be a JSON object, not " + jsonKind(v)})
	}
	return obj, nil
}

// decodeValue reads one JSON value token by token, refusing a name given
// twice in one object (parsers disagree about which one wins) and
// nesting deeper than maxJSONDepth.
func decodeValue(dec *json.Decoder, at string, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= maxJSONDepth {
		return nil, fmt.Errorf("the JSON nests deeper than %d levels", maxJSONDepth)
	}
	switch d {
	case '{':
		obj := map[string]any{}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return nil, err
			}
			name, _ := t.(string)
			field := joinField(at, name)
			if _, dup := obj[name]; dup {
				return nil, fmt.Errorf("the name %s appears twice", strconv.Quote(field))
			}
			if obj[name], err = decodeValue(dec, field, depth+1); err != nil {
				return nil, err
			}
		}
		_, err := dec.Token()
		return obj, err
	case '[':
		arr := []any{}
		for dec.More() {
			v, err := decodeValue(dec, fmt.Sprintf("%s[%d]", at, len(arr)), depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token()
		return arr, err
	}
	return nil, fmt.Errorf("unexpected %v", d)
}

// joinField names a field inside the object at at.
func joinField(at, name string) string {
	if at == "" {
		return name
	}
	return at + "." + name
}

// jsonKind names the kind of a decoded JSON value for a message.
func jsonKind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return "the number " + clipLiteral(v.String())
	case string:
		return "a string"
	case []any:
		return "an array"
	default:
		return "an object"
	}
}

// bodyFields checks a decoded JSON body field by field against what an
// endpoint takes and collects every field at fault, so one answer names
// them all.
type bodyFields struct {
	errs []fieldError
}

func (b *bodyFields) add(field, format string, args ...any) {
	b.errs = append(b.errs, fieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// object checks that v, found at at, is an object with no names besides
// the given ones, and returns it (nil when it is not an object).
func (b *bodyFields) object(v any, at string, names ...string) map[string]any {
	obj, ok := v.(map[string]any)
	if !ok {
		b.add(at, "must be an object, not %s", jsonKind(v))
		return nil
	}
	var unknown []string
	for name := range obj {
		if !slices.Contains(names, name) {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		b.add(joinField(at, name), "is not a field of this object (it takes %s)", strings.Join(names, ", "))
	}
	return obj
}

// integer reads the required whole number name of obj within [lo, hi].
// 3, 3.0 and 3e0 are the same number, as in JSON Schema; anything that
// does not fit, however large, is named rather than rounded.
func (b *bodyFields) integer(obj map[string]any, at, name string, lo, hi int64) (int64, bool) {
	field := joinField(at, name)
	v, ok := obj[name]
	if !ok {
		b.add(field, "is required")
		return 0, false
	}
	num, ok := v.(json.Number)
	if !ok {
		b.add(field, "must be a whole number, not %s", jsonKind(v))
		return 0, false
	}
	n, msg := wholeNumber(num.String(), lo, hi)
	if msg != "" {
		b.add(field, "%s", msg)
		return 0, false
	}
	return n, true
}

// array reads the required array name of obj, with lo to hi elements.
func (b *bodyFields) array(obj map[string]any, at, name string, lo, hi int) []any {
	field := joinField(at, name)
	v, ok := obj[name]
	if !ok {
		b.add(field, "is required")
		return nil
	}
	arr, ok := v.([]any)
	switch {
	case !ok:
		b.add(field, "must be an array, not %s", jsonKind(v))
	case len(arr) < lo || len(arr) > hi:
		b.add(field, "must have %d to %d elements, not %d", lo, hi, len(arr))
	default:
		return arr
	}
	return nil
}

// problem is the 422 that names every field at fault, or nil.
func (b *bodyFields) problem() error {
	if len(b.errs) == 0 {
		return nil
	}
	detail := "The field " + strconv.Quote(b.errs[0].Field) + " is not valid."
	if len(b.errs) > 1 {
		detail = fmt.Sprintf("%d fields are not valid.", len(b.errs))
	}
	return newProblem(problemInvalidBody, http.StatusUnprocessableEntity, detail, b.errs...)
}

// wholeNumber reads a JSON number that must be a whole number in
// [lo, hi]; msg says what is wrong with it otherwise.
func wholeNumber(s string, lo, hi int64) (n int64, msg string) {
	outside := fmt.Sprintf("must be from %d to %d, not %s", lo, hi, clipLiteral(s))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if !strings.ContainsAny(s, ".eE") {
			return 0, outside // digits only: too many of them
		}
		f, err := strconv.ParseFloat(s, 64)
		switch {
		case err != nil || f < -(1<<63) || f >= 1<<63:
			return 0, outside
		case f != float64(int64(f)):
			return 0, "must be a whole number, not " + clipLiteral(s)
		}
		n = int64(f)
	}
	if n < lo || n > hi {
		return 0, outside
	}
	return n, ""
}
