package etcdstore

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"unicode/utf8"

	"github.com/ironic-etcd/ironic-etcd/internal/jsontext"
)

// maxJSONDepth bounds how deeply a JSON column may nest arrays and
// objects. Every stored document must read back: encoding/json stops at
// 10,000 levels, and Python's json (Ironic's) raises RecursionError at
// about 1,000 levels less the depth of its caller's stack, so 500 leaves
// Ironic's stack and the API's envelope room.
const maxJSONDepth = 500

// errInvalidUTF8 is what a JSON column holding invalid UTF-8 gets:
// encoding/json would store U+FFFD in its place.
var errInvalidUTF8 = fmt.Errorf("not valid UTF-8 (a string or key of the JSON document)")

// checkJSONText refuses a compact JSON document a reader could not
// return as given: nesting deeper than maxJSONDepth, or a \u escape of a
// lone UTF-16 surrogate (read back as U+FFFD, and not storable as UTF-8).
// doc is syntactically valid JSON.
func checkJSONText(doc []byte) error {
	err := jsontext.Check(doc, maxJSONDepth)
	if errors.Is(err, jsontext.ErrLoneSurrogate) {
		return errInvalidUTF8
	}
	return err
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// checkGoStrings refuses invalid UTF-8 in the strings and object keys of
// a Go value, at any depth, which encoding/json would silently replace by
// U+FFFD. Call it after encoding/json accepted v (so v has no cycle).
// What a json.Marshaler writes is checked in the encoded text instead.
func checkGoStrings(v reflect.Value) error {
	if !v.IsValid() {
		return nil
	}
	switch {
	case implements(v, jsonMarshalerType):
		return nil
	case implements(v, textMarshalerType):
		return checkText(v)
	}
	t := v.Type()
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return errInvalidUTF8
		}
	case reflect.Pointer, reflect.Interface:
		return checkGoStrings(v.Elem())
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // base64
		}
		for i := 0; i < v.Len(); i++ {
			if err := checkGoStrings(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			k := it.Key()
			if k.Kind() == reflect.String && !utf8.ValidString(k.String()) {
				return errInvalidUTF8 // a string key is used as is, marshaler or not
			}
			if err := checkGoStrings(k); k.Kind() != reflect.String && err != nil {
				return err
			}
			if err := checkGoStrings(it.Value()); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if (!sf.IsExported() && !sf.Anonymous) || sf.Tag.Get("json") == "-" {
				continue
			}
			if err := checkGoStrings(v.Field(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// implements reports whether encoding/json calls v's method of interface
// m: a pointer method only when v is addressable.
func implements(v reflect.Value, m reflect.Type) bool {
	t := v.Type()
	if t.Implements(m) {
		return t.Kind() != reflect.Pointer || !v.IsNil()
	}
	return v.CanAddr() && reflect.PointerTo(t).Implements(m)
}

// checkText checks what an encoding.TextMarshaler writes as a JSON string.
func checkText(v reflect.Value) error {
	if !v.CanInterface() {
		return nil
	}
	if !v.Type().Implements(textMarshalerType) {
		v = v.Addr()
	}
	text, err := v.Interface().(encoding.TextMarshaler).MarshalText()
	if err == nil && !utf8.Valid(text) {
		return errInvalidUTF8
	}
	return nil
}
