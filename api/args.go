package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// ArgType is the JSON type of an argument: its schema for the OpenAPI
// document and how a request's JSON becomes the Go value Call reads.
type ArgType struct {
	Schema map[string]any
	decode func(raw json.RawMessage) (any, error)
}

// Call is one request's decoded arguments and the handler serving it.
type Call struct {
	h    *Handler
	args map[string]any
}

// requestError is an error the server answers itself, before or instead
// of the store: HTTP Status (400 by default) with Type as the error type.
type requestError struct {
	Status int
	Type   string
	Msg    string
	Params map[string]any
}

func (e *requestError) Error() string { return e.Msg }

func badRequest(typ string, params map[string]any, format string, args ...any) *requestError {
	return &requestError{Status: http.StatusBadRequest, Type: typ, Msg: fmt.Sprintf(format, args...), Params: params}
}

// Error types of refused requests.
const (
	errMalformed       = "MalformedRequest"
	errUnknownMethod   = "UnknownMethod"
	errUnknownArgument = "UnknownArgument"
	errMissingArgument = "MissingArgument"
	errArgumentType    = "InvalidArgumentType"
	errTooLarge        = "RequestTooLarge"
	errTestingOnly     = "TestingModeOnly"
)

// decodeBody reads a request body: one JSON object of keyword arguments
// (an empty body is no arguments). Numbers stay exact.
func decodeBody(body []byte) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		return nil, badRequest(errMalformed, nil, "the body is not a JSON object: %v", err)
	}
	if obj == nil {
		return nil, badRequest(errMalformed, nil, "the body is null, not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest(errMalformed, nil, "data after the JSON object")
	}
	if err := noDuplicateKeys(body); err != nil {
		return nil, err
	}
	return obj, nil
}

// noDuplicateKeys refuses a body naming an argument twice: which one a
// decoder keeps differs between languages, so the request is ambiguous.
func noDuplicateKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // '{'
		return badRequest(errMalformed, nil, "%v", err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return badRequest(errMalformed, nil, "%v", err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return badRequest(errMalformed, map[string]any{"argument": key}, "argument %q given twice", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return badRequest(errMalformed, nil, "%v", err)
		}
	}
	return nil
}

// bind checks the arguments against the route and decodes them.
func (r *Route) bind(obj map[string]json.RawMessage) (map[string]any, error) {
	known := make(map[string]bool, len(r.Args))
	for _, a := range r.Args {
		known[a.Name] = true
	}
	var unknown []string
	for name := range obj {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, badRequest(errUnknownArgument, map[string]any{"arguments": unknown, "method": r.Name},
			"%s takes no argument %s; it takes: %s", r.Name, strings.Join(unknown, ", "), r.argNames())
	}
	out := make(map[string]any, len(r.Args))
	for _, a := range r.Args {
		raw, given := obj[a.Name]
		isNull := given && bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
		switch {
		case !given && a.Required:
			return nil, badRequest(errMissingArgument, map[string]any{"argument": a.Name, "method": r.Name},
				"%s needs argument %s", r.Name, a.Name)
		case isNull && a.Nullable:
			out[a.Name] = explicitNull
			continue
		case !given || (isNull && !a.Required):
			out[a.Name] = a.Default
			continue
		}
		v, err := a.Type.decode(raw)
		if err != nil {
			var re *requestError
			var se *etcdstore.Error
			if errors.As(err, &re) || errors.As(err, &se) {
				return nil, err // already typed: the store's InvalidParameterValue
			}
			return nil, badRequest(errArgumentType, map[string]any{"argument": a.Name, "method": r.Name},
				"argument %s: %v", a.Name, err)
		}
		out[a.Name] = v
	}
	return out, nil
}

func (r *Route) argNames() string {
	if len(r.Args) == 0 {
		return "nothing"
	}
	names := make([]string, len(r.Args))
	for i, a := range r.Args {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}

// decodeExact decodes raw with numbers kept as json.Number.
func decodeExact(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

func want(kind string, raw json.RawMessage) error {
	got := "null"
	switch t := bytes.TrimSpace(raw); {
	case len(t) == 0:
		got = "nothing"
	case t[0] == '"':
		got = "a string"
	case t[0] == '{':
		got = "an object"
	case t[0] == '[':
		got = "an array"
	case t[0] == 't' || t[0] == 'f':
		got = "a boolean"
	case t[0] != 'n':
		got = "a number"
	}
	return fmt.Errorf("want %s, got %s", kind, got)
}

// Argument types.
var (
	tString = ArgType{Schema: map[string]any{"type": "string"}, decode: func(raw json.RawMessage) (any, error) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, want("a string", raw)
		}
		return s, nil
	}}
	tInteger = ArgType{Schema: map[string]any{"type": "integer", "format": "int64"}, decode: func(raw json.RawMessage) (any, error) {
		return decodeInt(raw)
	}}
	// tIdent is an id or a uuid (or, for ports, a MAC): the store takes it as text.
	tIdent = ArgType{Schema: map[string]any{"oneOf": []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}},
		decode: func(raw json.RawMessage) (any, error) {
			if n, err := decodeInt(raw); err == nil {
				return strconv.FormatInt(n, 10), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, want("an integer id or a string", raw)
			}
			return s, nil
		}}
	tBoolean = ArgType{Schema: map[string]any{"type": "boolean"}, decode: func(raw json.RawMessage) (any, error) {
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, want("a boolean", raw)
		}
		return b, nil
	}}
	tSeconds = ArgType{Schema: map[string]any{"type": "number", "minimum": 0}, decode: func(raw json.RawMessage) (any, error) {
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, want("a number of seconds", raw)
		}
		if f < 0 || f > 1e12 || math.IsNaN(f) {
			return nil, fmt.Errorf("%v seconds is out of range", f)
		}
		return f, nil
	}}
	tStrings = ArgType{Schema: map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		decode: func(raw json.RawMessage) (any, error) {
			var ss []string
			if err := json.Unmarshal(raw, &ss); err != nil || ss == nil {
				return nil, want("an array of strings", raw)
			}
			return ss, nil
		}}
	tObjects = ArgType{Schema: map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
		decode: func(raw json.RawMessage) (any, error) {
			var objs []map[string]any
			if err := decodeExact(raw, &objs); err != nil || objs == nil {
				return nil, want("an array of objects", raw)
			}
			return objs, nil
		}}
)

// decodeInt reads an integral JSON number that fits in int64.
func decodeInt(raw json.RawMessage) (int64, error) {
	var n json.Number
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '"' { // json.Number would take "1"
		return 0, want("an integer", raw)
	}
	if err := decodeExact(raw, &n); err != nil {
		return 0, want("an integer", raw)
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want an integer that fits in 64 bits, got %s", n)
	}
	return i, nil
}

// explicitNull is the value of a Nullable argument given as null, where
// None means something other than the default.
var explicitNull = &struct{ null bool }{true}

// Readers of decoded arguments, for the routes' Call functions.

func (c *Call) Str(name string) string       { s, _ := c.args[name].(string); return s }
func (c *Call) Int(name string) int64        { n, _ := c.args[name].(int64); return n }
func (c *Call) Bool(name string) bool        { b, _ := c.args[name].(bool); return b }
func (c *Call) Strings(name string) []string { s, _ := c.args[name].([]string); return s }

// Given reports whether an argument has a value (not None).
func (c *Call) Given(name string) bool { return c.args[name] != nil }

// Get returns an argument's decoded value (nil: None).
func (c *Call) Get(name string) any { return c.args[name] }
