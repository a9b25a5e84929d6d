package etcdstore

import (
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"testing"
)

// Fuzz targets for the parsers every caller-supplied identifier and filter
// goes through. Seed corpora live in testdata/fuzz/.

var macPattern = regexp.MustCompile(`^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$`)

var canonicalUUIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func FuzzResolveIdentity(f *testing.F) {
	for _, s := range []string{"7", "-1", "007", "+7", " 7", "7.0", "", "9223372036854775808",
		"1be26c0b-03f2-4d2e-ae87-c02d7f33c123", "{1BE26C0B03F24D2EAE87C02D7F33C123}",
		"urn:uuid:1be26c0b-03f2-4d2e-ae87-c02d7f33c123", "52:54:00:12:34:56", "node-1", "\x00", "../.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := resolveIdentity(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidIdentity) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: error %v is not InvalidIdentity", s, err)
			}
			if _, isInt := parseIntLike(s); isInt || IsUUIDLike(s) {
				t.Fatalf("%q: refused an int-like or uuid-like identity", s)
			}
			return
		}
		switch {
		case id.uuid != "":
			if !IsUUIDLike(s) || id.uuid != CanonicalUUID(s) || !canonicalUUIDPattern.MatchString(id.uuid) {
				t.Fatalf("%q resolved to uuid %q", s, id.uuid)
			}
			if _, isInt := parseIntLike(s); isInt {
				t.Fatalf("%q: int-like identity resolved as uuid", s)
			}
		default:
			if strconv.FormatInt(id.id, 10) != s {
				t.Fatalf("%q resolved to id %d, not its canonical form", s, id.id)
			}
		}
		mac, err := resolveMACOrIdentity(s)
		if macPattern.MatchString(s) != (err == nil && mac.mac == s) {
			t.Fatalf("%q: mac-or-identity disagrees with the MAC pattern", s)
		}
	})
}

func FuzzIsMACLike(f *testing.F) {
	for _, s := range []string{"52:54:00:12:34:56", "52:54:00:AB:cd:EF", "52-54-00-12-34-56",
		"5254.0012.3456", "52:54:00:12:34:5", "52:54:00:12:34:567", "", "gg:54:00:12:34:56"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if IsMACLike(s) != macPattern.MatchString(s) {
			t.Fatalf("IsMACLike(%q) = %v, pattern says %v", s, IsMACLike(s), !IsMACLike(s))
		}
	})
}

// FuzzParseNodeFilters feeds JSON objects as filter maps: parsing never
// panics, refuses with InvalidParameterValue only, and a parsed filter
// evaluates on a node without panicking.
func FuzzParseNodeFilters(f *testing.F) {
	for _, s := range []string{`{}`, `{"provision_state":"active","maintenance":false}`,
		`{"reserved_by_any_of":["a","b"]}`, `{"reserved_by_any_of":[]}`, `{"provisioned_before":60}`,
		`{"provisioned_before":-1}`, `{"driver":null}`, `{"chassis_uuid":7}`, `{"bogus":1}`,
		`{"associated":"yes"}`, `{"inspection_started_before":1e300}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var m map[string]any
		if json.Unmarshal([]byte(doc), &m) != nil {
			return
		}
		flt, err := ParseNodeFilters(m)
		if err != nil {
			if !errors.Is(err, ErrInvalidParameterValue) {
				t.Fatalf("%s: error %v is not InvalidParameterValue", doc, err)
			}
			return
		}
		if match := flt.matcher(1, epochForFuzz); match != nil {
			match(nodeForFuzz.ProtoReflect())
		}
		if c := flt.candidates(); c != nil {
			c(newNodeBuckets())
		}
	})
}
