package web

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// openAPIJSON is the OpenAPI 3.1 document of the API: the one source of
// truth that the tests check every endpoint against and that the
// reference page is rendered from.
//
//go:embed openapi.json
var openAPIJSON []byte

// openAPIETag tags the document; it changes only with the binary.
var openAPIETag = strongETag("openapi", string(openAPIJSON))

// showOpenAPI is GET /api/v1/openapi.json.
func (s *Server) showOpenAPI(c echo.Context) error {
	if err := params(c).problem(); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", openAPIETag)
	if ifNoneMatch(c.Request().Header.Values("If-None-Match"), openAPIETag) {
		return c.NoContent(http.StatusNotModified)
	}
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(openAPIJSON)))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIJSON)
}

// apiDoc is the part of the OpenAPI document the reference page shows.
type apiDoc struct {
	Info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Summary     string `json:"summary"`
		Description string `json:"description"`
	} `json:"info"`
	Tags []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"tags"`
	Paths      map[string]map[string]*apiOperation `json:"paths"`
	Components struct {
		Parameters map[string]*apiParam    `json:"parameters"`
		Headers    map[string]*apiHeader   `json:"headers"`
		Responses  map[string]*apiResponse `json:"responses"`
		Schemas    map[string]*apiSchema   `json:"schemas"`
	} `json:"components"`
	ProblemTypes []struct {
		Type        string `json:"type"`
		Title       string `json:"title"`
		Status      int    `json:"status"`
		Description string `json:"description"`
	} `json:"x-problem-types"`
}

// apiOperation is an Operation Object.
type apiOperation struct {
	OperationID string                  `json:"operationId"`
	Tags        []string                `json:"tags"`
	Summary     string                  `json:"summary"`
	Description string                  `json:"description"`
	Parameters  []*apiParam             `json:"parameters"`
	RequestBody *apiRequestBody         `json:"requestBody"`
	Responses   map[string]*apiResponse `json:"responses"`
}

// apiParam is a Parameter Object, or a reference to one.
type apiParam struct {
	Ref         string          `json:"$ref"`
	Name        string          `json:"name"`
	In          string          `json:"in"`
	Description string          `json:"description"`
	Required    bool            `json:"required"`
	Schema      *apiSchema      `json:"schema"`
	Example     json.RawMessage `json:"example"`
}

// apiRequestBody is a Request Body Object.
type apiRequestBody struct {
	Required bool                     `json:"required"`
	Content  map[string]*apiMediaType `json:"content"`
}

// apiMediaType is a Media Type Object.
type apiMediaType struct {
	Schema  *apiSchema      `json:"schema"`
	Example json.RawMessage `json:"example"`
}

// apiResponse is a Response Object, or a reference to one.
type apiResponse struct {
	Ref         string                   `json:"$ref"`
	Description string                   `json:"description"`
	Headers     map[string]*apiHeader    `json:"headers"`
	Content     map[string]*apiMediaType `json:"content"`
}

// apiHeader is a Header Object, or a reference to one.
type apiHeader struct {
	Ref         string     `json:"$ref"`
	Description string     `json:"description"`
	Required    bool       `json:"required"`
	Schema      *apiSchema `json:"schema"`
}

// apiSchema is the part of a Schema Object the page describes.
type apiSchema struct {
	Ref         string                `json:"$ref"`
	Type        schemaType            `json:"type"`
	Description string                `json:"description"`
	Format      string                `json:"format"`
	Pattern     string                `json:"pattern"`
	Enum        []any                 `json:"enum"`
	Const       any                   `json:"const"`
	Default     any                   `json:"default"`
	Minimum     *json.Number          `json:"minimum"`
	Maximum     *json.Number          `json:"maximum"`
	MinLength   *int                  `json:"minLength"`
	MaxLength   *int                  `json:"maxLength"`
	MinItems    *int                  `json:"minItems"`
	MaxItems    *int                  `json:"maxItems"`
	Required    []string              `json:"required"`
	Properties  map[string]*apiSchema `json:"properties"`
	Items       *apiSchema            `json:"items"`
	OneOf       []*apiSchema          `json:"oneOf"`
	// AdditionalProperties is false, a schema, or absent.
	AdditionalProperties json.RawMessage `json:"additionalProperties"`
}

// schemaType is a JSON Schema type: one name, or a list of them
// (OpenAPI 3.1).
type schemaType []string

func (t *schemaType) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*t = schemaType{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*t = many
	return nil
}

// parsedAPIDoc is the embedded document, read once.
var parsedAPIDoc = sync.OnceValues(func() (*apiDoc, error) {
	var d apiDoc
	if err := json.Unmarshal(openAPIJSON, &d); err != nil {
		return nil, fmt.Errorf("web: reading openapi.json: %w", err)
	}
	return &d, nil
})

// refName is the component a local reference points at:
// "#/components/schemas/Flight" in section "schemas" is "Flight".
func refName(ref, section string) (string, bool) {
	return strings.CutPrefix(ref, "#/components/"+section+"/")
}

// param resolves a parameter reference.
func (d *apiDoc) param(p *apiParam) *apiParam {
	if name, ok := refName(p.Ref, "parameters"); ok {
		if r := d.Components.Parameters[name]; r != nil {
			return r
		}
	}
	return p
}

// response resolves a response reference.
func (d *apiDoc) response(r *apiResponse) *apiResponse {
	if name, ok := refName(r.Ref, "responses"); ok {
		if x := d.Components.Responses[name]; x != nil {
			return x
		}
	}
	return r
}

// header resolves a header reference.
func (d *apiDoc) header(h *apiHeader) *apiHeader {
	if name, ok := refName(h.Ref, "headers"); ok {
		if x := d.Components.Headers[name]; x != nil {
			return x
		}
	}
	return h
}

// schema resolves a schema reference, and names the component it was.
func (d *apiDoc) schema(s *apiSchema) (*apiSchema, string) {
	if s == nil {
		return nil, ""
	}
	if name, ok := refName(s.Ref, "schemas"); ok {
		if x := d.Components.Schemas[name]; x != nil {
			return x, name
		}
	}
	return s, ""
}
