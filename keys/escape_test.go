package keys

import (
	"errors"
	"strings"
	"testing"
)

// Table-driven checks of the exact encodings: readable values stay
// readable, everything else becomes %XX, and the special forms ("" and
// dot-only segments) are what the doc comment promises.
func TestEscapeEncodings(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "%"},
		{"/", "%2F"},
		{".", "%2E"},
		{"..", "%2E%2E"},
		{"...", "%2E%2E%2E"},
		{".a", ".a"}, // not dot-only: the dot stays
		{"a..", "a.."},
		{"\x00", "%00"},
		{"\x01\x1f\x7f", "%01%1F%7F"},
		{"\n\r\t", "%0A%0D%09"},
		{" ", "%20"},
		{"%", "%25"},
		{"%25", "%2525"},
		{"\xff", "%FF"},
		{"\xc3", "%C3"},          // a lone UTF-8 lead byte
		{"é", "%C3%A9"},          // unicode is escaped byte by byte
		{"節", "%E7%AF%80"},       // three bytes
		{"a/../b", "a%2F..%2Fb"}, // dots inside a segment are harmless
		{"-_.:~@+,=", "-_.:~@+,="},
		{"AZaz09", "AZaz09"},
		{"?#[]*", "%3F%23%5B%5D%2A"},
	}
	for _, c := range cases {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
		back, err := Unescape(c.want)
		if err != nil || back != c.in {
			t.Errorf("Unescape(%q) = %q, %v; want %q", c.want, back, err, c.in)
		}
	}
}

func TestEscapeLongValues(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("n", 255),
		strings.Repeat("節", 255), // 255 characters, 765 bytes
		strings.Repeat("\x00", 255),
		strings.Repeat(".", 255),
		strings.Repeat("\xff", 255),
	} {
		e := Escape(s)
		if len(e) > 3*len(s) {
			t.Errorf("Escape of %d bytes gave %d bytes, more than 3 per byte", len(s), len(e))
		}
		if back, err := Unescape(e); err != nil || back != s {
			t.Errorf("round trip of a %d-byte value failed: %v", len(s), err)
		}
		if !printableNoSlash(e) {
			t.Errorf("Escape of a %d-byte value is not printable ASCII without '/'", len(s))
		}
	}
}

func TestUnescapeRejectsMalformed(t *testing.T) {
	cases := []string{
		"",          // Escape never yields an empty segment
		"%%",        // '%' alone is only the whole segment
		"a%",        // truncated escape
		"%4",        // truncated escape
		"%G0",       // not hex
		"%0g",       // not hex
		"%2f",       // lower-case hex: not Escape's form
		"%41",       // an escaped plain byte: two encodings of "A"
		"%2D",       // an escaped '-'
		".",         // a relative step
		"..",        // a relative step
		"%2E.",      // a dot-only value half escaped
		".%2E",      // likewise
		"a/b",       // a raw '/'
		"a b",       // a raw space
		"\x00",      // a raw control byte
		"é",         // raw non-ASCII
		"\xff",      // raw invalid UTF-8
		"%2F/",      // escaped then raw slash
		"abc%",      // trailing percent
		"%25%",      // trailing percent after a valid escape
		"x\x7fy",    // raw DEL
		"%ZZ%2F",    // first escape bad
		"ok%2Fok%2", // last escape truncated
	}
	for _, seg := range cases {
		got, err := Unescape(seg)
		if err == nil {
			t.Errorf("Unescape(%q) = %q, want an error", seg, got)
			continue
		}
		if !errors.Is(err, ErrBadSegment) {
			t.Errorf("Unescape(%q): %v is not ErrBadSegment", seg, err)
		}
	}
}

// Every key built from user values stays inside its index's range, one
// escaped segment per value, and parses back to the values.
func TestUniqueKeysStayInTheirRange(t *testing.T) {
	s := MustNew("/ironic/")
	base := "/ironic/index/nodes/name/"
	end := PrefixEnd(base)
	for _, v := range awkward {
		key := s.Unique("nodes", "name", v)
		rest, ok := strings.CutPrefix(key, base)
		if !ok || key >= end {
			t.Fatalf("key %q for %q is outside %q", key, v, base)
		}
		if strings.Count(rest, "/") != 0 {
			t.Fatalf("key %q for %q has more than one segment", key, v)
		}
		if back, err := Unescape(rest); err != nil || back != Fold(v) {
			t.Fatalf("segment %q of %q does not parse back: %q %v", rest, v, back, err)
		}
	}
	// Composite keys: exactly one segment per value, whatever the values.
	for _, a := range awkward {
		for _, b := range []string{"", "/", "..", "x"} {
			key := s.Unique("volume_connectors", "type_connector_id", a, b)
			rest, ok := strings.CutPrefix(key, "/ironic/index/volume_connectors/type_connector_id/")
			segs := strings.Split(rest, "/")
			if !ok || len(segs) != 2 {
				t.Fatalf("composite key %q for (%q, %q): %d segments", key, a, b, len(segs))
			}
			ga, errA := Unescape(segs[0])
			gb, errB := Unescape(segs[1])
			if errA != nil || errB != nil || ga != Fold(a) || gb != Fold(b) {
				t.Fatalf("composite key %q does not parse back to (%q, %q)", key, a, b)
			}
		}
	}
}

// Distinct values never share a key, so no value can claim another's
// index entry.
func TestEscapeIsInjective(t *testing.T) {
	seen := map[string]string{}
	values := append([]string{}, awkward...)
	for c := 0; c < 256; c++ {
		values = append(values, string([]byte{byte(c)}), "a"+string([]byte{byte(c)}))
	}
	for _, v := range values {
		e := Escape(v)
		if prev, dup := seen[e]; dup && prev != v {
			t.Fatalf("%q and %q both escape to %q", prev, v, e)
		}
		seen[e] = v
	}
}

func TestNewPrefix(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", DefaultPrefix},
		{"/ironic", "/ironic/"},
		{"/ironic/", "/ironic/"},
		{"x", "x/"},
		{"/a/b/c", "/a/b/c/"},
		{"/ünï/", "/ünï/"},
	}
	for _, c := range cases {
		s, err := New(c.in)
		if err != nil || s.Prefix() != c.want {
			t.Errorf("New(%q) = %q, %v; want %q", c.in, s.Prefix(), err, c.want)
		}
	}
	for _, bad := range []string{"\x00", "/a\x00/", "/a\n", "\t/", "/x\x7f/", "/\x1f"} {
		if s, err := New(bad); err == nil {
			t.Errorf("New(%q) accepted, prefix %q", bad, s.Prefix())
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MustNew of a bad prefix did not panic")
		}
	}()
	MustNew("/bad\x00")
}

// Every key of a space starts with its prefix, and spaces with different
// prefixes never share a key.
func TestSpacesDoNotOverlap(t *testing.T) {
	a, b := MustNew("/a/"), MustNew("/a/b/")
	for _, s := range []Space{a, b} {
		for _, k := range []string{
			s.Table("nodes"), s.Record("nodes", 1), s.Reservation(1), s.Reservations(), s.Waiters(1),
			s.Unique("nodes", "name", "x"), s.Members("ports", "node_id", 1), s.Member("ports", "node_id", 1, 2),
			s.IDCounter("nodes"), s.Alive("h"), s.AlivePrefix(), s.Sessions(),
		} {
			if !strings.HasPrefix(k, s.Prefix()) {
				t.Errorf("key %q is outside prefix %q", k, s.Prefix())
			}
		}
	}
	// A name "b" in space /a/ cannot reach space /a/b/: tables come first.
	if strings.HasPrefix(a.Unique("nodes", "name", "b"), b.Prefix()) {
		t.Error("a value reached a nested space")
	}
}

func TestFormatAndParseID(t *testing.T) {
	ids := []int64{0, 1, 7, 9, 10, 11, 99, 100, 1000, 123456789, 1 << 53, 1<<53 + 1, 1<<62 + 5, 1<<63 - 2, 1<<63 - 1}
	for i, id := range ids {
		f := FormatID(id)
		if len(f) != 19 {
			t.Errorf("FormatID(%d) = %q: not 19 digits", id, f)
		}
		if i > 0 && FormatID(ids[i-1]) >= f {
			t.Errorf("FormatID(%d) does not sort after FormatID(%d)", id, ids[i-1])
		}
		for _, key := range []string{f, "/" + f, MustNew("/p/").Record("nodes", id), MustNew("/p/").Member("ports", "node_id", 3, id)} {
			if back, err := ParseID(key); err != nil || back != id {
				t.Errorf("ParseID(%q) = %d, %v; want %d", key, back, err, id)
			}
		}
	}
	for _, bad := range []string{"", "/", "/x/", "/x/1", "/x/000000000000000001a", "/x/+000000000000000001",
		"/x/00000000000000000001", "/x/9999999999999999999", "/x/ 000000000000000001", "/x/0000000000000000001/"} {
		if id, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) = %d, want an error", bad, id)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	cases := map[string]string{
		"/a/":      "/a0",
		"a":        "b",
		"a\xff":    "b",
		"\xff\xff": "\x00",
		"":         "\x00",
		"/ironic/": "/ironic0",
	}
	for in, want := range cases {
		if got := PrefixEnd(in); got != want {
			t.Errorf("PrefixEnd(%q) = %q, want %q", in, got, want)
		}
	}
}

func printableNoSlash(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == '/' {
			return false
		}
	}
	return true
}
