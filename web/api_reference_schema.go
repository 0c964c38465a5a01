package web

import (
	"fmt"
	"slices"
	"strings"

	"github.com/engineroom/engineroom/web/view"
)

// fieldRows lists the fields of an object schema and of the objects
// inside it, named as the API's errors name them (items[].quantity).
// Objects that are components of their own are listed only when
// components is true (a request body); the schemas section links to
// them instead.
func fieldRows(d *apiDoc, s *apiSchema, prefix string, components bool) []view.APIField {
	if s == nil || strings.Count(prefix, ".") > 4 {
		return nil
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return requiredFirst(s.Required, a, b) })
	var rows []view.APIField
	for _, n := range names {
		prop, name := d.schema(s.Properties[n])
		rows = append(rows, view.APIField{Name: prefix + n, Type: schemaSummary(d, s.Properties[n]),
			Required: slices.Contains(s.Required, n), Description: prop.Description})
		inner, innerName, suffix := prop, name, "."
		if prop.Items != nil {
			inner, innerName = d.schema(prop.Items)
			suffix = "[]."
		}
		if len(inner.Properties) > 0 && (innerName == "" || components) {
			rows = append(rows, fieldRows(d, inner, prefix+n+suffix, components)...)
		}
	}
	return rows
}

// requiredFirst orders field names: required ones first, each in the
// order of the required list, then the rest by name.
func requiredFirst(required []string, a, b string) int {
	ia, ib := slices.Index(required, a), slices.Index(required, b)
	switch {
	case ia >= 0 && ib >= 0:
		return ia - ib
	case ia >= 0:
		return -1
	case ib >= 0:
		return 1
	}
	return strings.Compare(a, b)
}

// schemaSummary describes a schema in a few words: its type or component
// name and its constraints.
func schemaSummary(d *apiDoc, ref *apiSchema) string {
	s, name := d.schema(ref)
	if s == nil {
		return ""
	}
	if name != "" && len(s.Properties) > 0 {
		return name
	}
	var parts []string
	switch {
	case len(s.Enum) > 0:
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = fmt.Sprint(v)
		}
		parts = append(parts, "one of "+strings.Join(vals, ", "))
	case s.Const != nil:
		parts = append(parts, fmt.Sprintf("always %v", s.Const))
	case s.Items != nil:
		parts = append(parts, "array of "+schemaSummary(d, s.Items))
	case len(s.OneOf) > 0:
		alts := make([]string, len(s.OneOf))
		for i, o := range s.OneOf {
			alts[i] = schemaSummary(d, o)
		}
		parts = append(parts, strings.Join(alts, " or "))
	case len(s.Type) > 0:
		parts = append(parts, strings.Join(s.Type, " or "))
	default:
		parts = append(parts, "any")
	}
	if s.Format != "" {
		parts = append(parts, s.Format)
	}
	switch {
	case s.Minimum != nil && s.Maximum != nil:
		parts = append(parts, fmt.Sprintf("%s to %s", s.Minimum, s.Maximum))
	case s.Minimum != nil:
		parts = append(parts, fmt.Sprintf("from %s", s.Minimum))
	case s.Maximum != nil:
		parts = append(parts, fmt.Sprintf("up to %s", s.Maximum))
	}
	if s.MinLength != nil || s.MaxLength != nil {
		parts = append(parts, lengths(s.MinLength, s.MaxLength, "characters"))
	}
	if s.MinItems != nil || s.MaxItems != nil {
		parts = append(parts, lengths(s.MinItems, s.MaxItems, "items"))
	}
	if s.Pattern != "" {
		parts = append(parts, "pattern "+s.Pattern)
	}
	if s.Default != nil {
		parts = append(parts, fmt.Sprintf("default %v", s.Default))
	}
	return strings.Join(parts, ", ")
}

// lengths describes a length range.
func lengths(lo, hi *int, unit string) string {
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("%d to %d %s", *lo, *hi, unit)
	case lo != nil:
		return fmt.Sprintf("at least %d %s", *lo, unit)
	default:
		return fmt.Sprintf("at most %d %s", *hi, unit)
	}
}
