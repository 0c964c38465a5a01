package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// The contract check's limits: how deep it follows nested values, and how
// many differences it lists.
const (
	maxContractDepth    = 16
	maxContractFindings = 50
)

// contractFinding is one place where an answer differs from its schema.
type contractFinding struct {
	Path string `json:"path"` // flights[0].miles_price; empty for the whole body
	Want string `json:"document"`
	Got  string `json:"answer"`
}

// contractCheck checks a decoded JSON value against a schema of the
// document: types, required and unknown members, array items, const and
// enum. It counts the values it checked.
type contractCheck struct {
	doc       *apiDoc
	checked   int
	findings  []contractFinding
	truncated bool
}

func (c *contractCheck) add(path, want, got string) {
	if len(c.findings) >= maxContractFindings {
		c.truncated = true
		return
	}
	c.findings = append(c.findings, contractFinding{Path: path, Want: want, Got: got})
}

// value checks v, found at path, against s.
func (c *contractCheck) value(path string, s *apiSchema, v any, depth int) {
	s, _ = c.doc.schema(s)
	if s == nil || depth > maxContractDepth {
		return
	}
	c.checked++
	if len(s.OneOf) > 0 {
		c.oneOf(path, s.OneOf, v, depth)
		return
	}
	if len(s.Type) > 0 && !slices.ContainsFunc(s.Type, func(t string) bool { return fitsType(t, v) }) {
		c.add(path, strings.Join(s.Type, " or "), describeValue(v))
		return
	}
	if s.Const != nil && !sameJSON(s.Const, v) {
		c.add(path, "always "+clipLiteral(jsonText(s.Const)), describeValue(v))
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return sameJSON(e, v) }) {
		opts := make([]string, len(s.Enum))
		for i, e := range s.Enum {
			opts[i] = jsonText(e)
		}
		c.add(path, "one of "+strings.Join(opts, ", "), describeValue(v))
	}
	switch v := v.(type) {
	case *jsonObject:
		c.object(path, s, *v, depth)
	case []any:
		if s.Items != nil {
			for i, e := range v {
				c.value(fmt.Sprintf("%s[%d]", path, i), s.Items, e, depth+1)
			}
		}
	}
}

// object checks an object's members: the required ones present, each
// known one by its schema, and the others against additionalProperties.
func (c *contractCheck) object(path string, s *apiSchema, obj jsonObject, depth int) {
	for _, name := range s.Required {
		if !slices.ContainsFunc(obj, func(m jsonMember) bool { return m.Name == name }) {
			want := "required"
			if p, _ := c.doc.schema(s.Properties[name]); p != nil && len(p.Type) > 0 {
				want += ", " + strings.Join(p.Type, " or ")
			}
			c.add(joinPath(path, name), want, "missing")
		}
	}
	extra := strings.TrimSpace(string(s.AdditionalProperties))
	var extraSchema *apiSchema
	if strings.HasPrefix(extra, "{") && json.Unmarshal(s.AdditionalProperties, &extraSchema) != nil {
		extraSchema = nil
	}
	for _, m := range obj {
		at := joinPath(path, m.Name)
		switch p := s.Properties[m.Name]; {
		case p != nil:
			c.value(at, p, m.Value, depth+1)
		case extra == "false":
			c.checked++
			c.add(at, "no such field (additionalProperties: false)", describeValue(m.Value))
		case extraSchema != nil:
			c.value(at, extraSchema, m.Value, depth+1)
		}
	}
}

// oneOf checks v against each choice; it fits when one of them has no
// differences.
func (c *contractCheck) oneOf(path string, choices []*apiSchema, v any, depth int) {
	names := make([]string, len(choices))
	for i, ch := range choices {
		try := &contractCheck{doc: c.doc}
		try.value(path, ch, v, depth)
		if len(try.findings) == 0 {
			c.checked += try.checked
			return
		}
		r, name := c.doc.schema(ch)
		switch {
		case name != "":
			names[i] = name
		case r != nil && len(r.Type) > 0:
			names[i] = strings.Join(r.Type, " or ")
		default:
			names[i] = "a schema"
		}
	}
	c.add(path, "one of: "+strings.Join(names, ", "), describeValue(v))
}

// fitsType reports whether v is of the JSON Schema type t.
func fitsType(t string, v any) bool {
	switch v := v.(type) {
	case nil:
		return t == "null"
	case bool:
		return t == "boolean"
	case string:
		return t == "string"
	case json.Number:
		if t == "number" {
			return true
		}
		f, err := v.Float64()
		return t == "integer" && err == nil && f == math.Trunc(f)
	case []any:
		return t == "array"
	case *jsonObject:
		return t == "object"
	}
	return false
}

// describeValue is a value as the table shows it: its type, and the value
// itself when it is short.
func describeValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("boolean %t", v)
	case string:
		return "string " + clipLiteral(jsonText(v))
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer " + v.String()
		}
		return "number " + v.String()
	case []any:
		return fmt.Sprintf("array of %d", len(v))
	case *jsonObject:
		return fmt.Sprintf("object of %d fields", len(*v))
	}
	return fmt.Sprintf("%T", v)
}

// jsonText is a value of the document as JSON.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// sameJSON reports whether a value of the document (decoded as usual)
// and a value of the answer are the same JSON.
func sameJSON(doc, v any) bool {
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		d, isNum := doc.(float64)
		return err == nil && isNum && f == d
	}
	if _, ok := v.(*jsonObject); ok {
		return false
	}
	if _, ok := v.([]any); ok {
		return false
	}
	return doc == v
}

// joinPath names a member of the value at path: .name, or ["name"] when
// the name is not a plain identifier.
func joinPath(path, name string) string {
	plain := name != "" && strings.IndexFunc(name, func(r rune) bool {
		return r != '_' && !('a' <= r && r <= 'z') && !('A' <= r && r <= 'Z') && !('0' <= r && r <= '9')
	}) < 0 && !('0' <= name[0] && name[0] <= '9')
	switch {
	case !plain:
		return path + "[" + jsonText(name) + "]"
	case path == "":
		return name
	}
	return path + "." + name
}

// jsonMember is one member of a JSON object, in the order it came.
type jsonMember struct {
	Name  string
	Value any
}

// jsonObject is a JSON object that keeps its members' order, so a path
// such as flights[0].miles_price names the same member on every run.
type jsonObject []jsonMember

// decodeOrdered decodes one JSON value: objects as *jsonObject, numbers
// as json.Number.
func decodeOrdered(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeOrderedValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one value")
	}
	return v, nil
}

func decodeOrderedValue(dec *json.Decoder, depth int) (any, error) {
	if depth > 256 {
		return nil, errors.New("nested too deep")
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		obj := jsonObject{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			name, _ := k.(string)
			if !utf8.ValidString(name) {
				return nil, errors.New("a member name is not UTF-8")
			}
			v, err := decodeOrderedValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			obj = append(obj, jsonMember{Name: name, Value: v})
		}
		_, err := dec.Token()
		return &obj, err
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			v, err := decodeOrderedValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token()
		return arr, err
	}
	return t, nil
}
