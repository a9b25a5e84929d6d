package keys

import (
	"strings"
	"testing"
)

var awkward = []string{
	"", "/", "//", ".", "..", "...", "../etc", "a/b", "\x00", "a\x00b", "\n", "\x7f", "%", "%2F", "%%",
	"node-1", "52:54:00:aa:bb:cc", "1be26c0b-03f2-4d2e-ae87-c02d7f33c123", "nöde", "節點", "\xff\xfe",
	string([]byte{0xc3}), strings.Repeat("x", 255), strings.Repeat("/", 255), " space ", "a+b=c,d@e~f",
}

func TestEscapeRoundTripsAndStaysOneSegment(t *testing.T) {
	for _, s := range awkward {
		e := Escape(s)
		if e == "" || strings.ContainsRune(e, '/') {
			t.Fatalf("Escape(%q) = %q: empty or contains '/'", s, e)
		}
		for i := 0; i < len(e); i++ {
			if e[i] < 0x21 || e[i] > 0x7e {
				t.Fatalf("Escape(%q) = %q: non-printable byte", s, e)
			}
		}
		if e == "." || e == ".." {
			t.Fatalf("Escape(%q) = %q: a relative path step", s, e)
		}
		back, err := Unescape(e)
		if err != nil || back != s {
			t.Fatalf("Unescape(Escape(%q)) = %q, %v", s, back, err)
		}
	}
}

func TestEscapeKeepsReadableValuesReadable(t *testing.T) {
	for _, s := range []string{"node-1", "52:54:00:aa:bb:cc", "1be26c0b-03f2-4d2e-ae87-c02d7f33c123", "rack_7.a"} {
		if Escape(s) != s {
			t.Errorf("Escape(%q) = %q, want it unchanged", s, Escape(s))
		}
	}
}

func TestUnescapeRefusesWhatEscapeNeverWrites(t *testing.T) {
	for _, seg := range []string{"", "%2", "%zz", "%2f", "a b", "a/b", "..", ".%2E", "%41", "\x00"} {
		if got, err := Unescape(seg); err == nil {
			t.Errorf("Unescape(%q) = %q, want an error", seg, got)
		}
	}
}

func TestSpaceKeys(t *testing.T) {
	s := MustNew("/ironic")
	if s.Prefix() != "/ironic/" {
		t.Fatalf("prefix %q", s.Prefix())
	}
	if _, err := New("/bad\x00prefix/"); err == nil {
		t.Fatal("a prefix with a control byte was accepted")
	}
	if d, _ := New(""); d.Prefix() != DefaultPrefix {
		t.Fatalf("default prefix %q", d.Prefix())
	}
	cases := map[string]string{
		s.Record("nodes", 42):                       "/ironic/nodes/0000000000000000042",
		s.Reservation(42):                           "/ironic/reservations/0000000000000000042",
		s.Holder(42):                                "/ironic/holders/0000000000000000042",
		s.Unique("nodes", "name", "a/b"):            "/ironic/index/nodes/name/a%2Fb",
		s.Unique("volume_connectors", "t", "x", ""): "/ironic/index/volume_connectors/t/x/%",
		s.Member("ports", "node_id", 7, 9):          "/ironic/index/ports/node_id/0000000000000000007/0000000000000000009",
		s.Alive("c/1"):                              "/ironic/alive/c%2F1",
		s.IDCounter("ports"):                        "/ironic/ids/ports",
		s.Waiters(3):                                "/ironic/waiters/0000000000000000003/",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if h, err := s.ParseAlive(s.Alive("c/1")); err != nil || h != "c/1" {
		t.Fatalf("ParseAlive: %q %v", h, err)
	}
}

func TestIDsSortNumerically(t *testing.T) {
	ids := []int64{1, 2, 9, 10, 99, 100, 1 << 40, 1<<63 - 1}
	for i := 1; i < len(ids); i++ {
		if FormatID(ids[i-1]) >= FormatID(ids[i]) {
			t.Fatalf("%d sorts after %d", ids[i-1], ids[i])
		}
	}
	for _, id := range ids {
		back, err := ParseID("/x/" + FormatID(id))
		if err != nil || back != id {
			t.Fatalf("ParseID(FormatID(%d)) = %d, %v", id, back, err)
		}
	}
	for _, bad := range []string{"/x/12", "/x/abcdefghijklmnopqrs", "/x/-000000000000000001"} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
	if PrefixEnd("/a/") != "/a0" || PrefixEnd("\xff") != "\x00" {
		t.Fatal("PrefixEnd")
	}
}

// FuzzEscape: any value round-trips, escapes to printable ASCII without
// '/', never to a relative path step, and its index key stays inside its
// index's range, one segment deep.
func FuzzEscape(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	s := MustNew("/ironic/")
	base := "/ironic/index/nodes/name/"
	f.Fuzz(func(t *testing.T, v string) {
		e := Escape(v)
		back, err := Unescape(e)
		if err != nil || back != v {
			t.Fatalf("round trip of %q: %q, %v", v, back, err)
		}
		if e == "" || e == "." || e == ".." || !printableNoSlash(e) {
			t.Fatalf("Escape(%q) = %q", v, e)
		}
		if len(e) > 3*len(v) && v != "" {
			t.Fatalf("Escape(%q) = %q: more than 3 bytes per byte", v, e)
		}
		key := s.Unique("nodes", "name", v)
		rest, ok := strings.CutPrefix(key, base)
		if !ok || rest != Escape(Fold(v)) || strings.Contains(rest, "/") {
			t.Fatalf("key %q escapes its range", key)
		}
		if key >= PrefixEnd(base) {
			t.Fatalf("key %q sorts outside its range", key)
		}
		// A composite key keeps one segment per value.
		if k2 := s.Unique("t", "f", v, v); strings.Count(strings.TrimPrefix(k2, "/ironic/index/t/f/"), "/") != 1 {
			t.Fatalf("composite key %q", k2)
		}
	})
}

// FuzzUnescape: whatever a segment is, Unescape accepts it only if it is
// the one encoding Escape gives of the result.
func FuzzUnescape(f *testing.F) {
	for _, s := range awkward {
		f.Add(Escape(s))
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seg string) {
		v, err := Unescape(seg)
		if err != nil {
			return
		}
		if Escape(v) != seg {
			t.Fatalf("Unescape(%q) = %q, but Escape of that is %q", seg, v, Escape(v))
		}
	})
}

// UniquePrefix covers every entry of its index and nothing of another
// field; the revision probe lies outside every table and index.
func TestUniquePrefixAndProbe(t *testing.T) {
	s, err := New("/p/")
	if err != nil {
		t.Fatal(err)
	}
	p := s.UniquePrefix("nodes", "name")
	for _, v := range []string{"node-1", "Node/1", ""} {
		if k := s.Unique("nodes", "name", v); !strings.HasPrefix(k, p) {
			t.Errorf("Unique(nodes, name, %q) = %q, not under %q", v, k, p)
		}
	}
	if k := s.Unique("nodes", "name_x", "a"); strings.HasPrefix(k, p) {
		t.Errorf("%q of another field is under %q", k, p)
	}
	probe := s.RevisionProbe()
	for _, prefix := range []string{s.Table("nodes"), s.UniquePrefix("nodes", "uuid"), s.Reservations(), s.Holders()} {
		if strings.HasPrefix(probe, prefix) {
			t.Errorf("the revision probe %q is under %q", probe, prefix)
		}
	}
	// A node's marker is under the markers' prefix, never under the locks'
	// or a table's, and its id reads back.
	for _, id := range []int64{1, 42, 1<<63 - 1} {
		k := s.Holder(id)
		if !strings.HasPrefix(k, s.Holders()) || strings.HasPrefix(k, s.Reservations()) || strings.HasPrefix(k, s.Table("nodes")) {
			t.Errorf("Holder(%d) = %q, not only under %q", id, k, s.Holders())
		}
		if back, err := ParseID(k); err != nil || back != id {
			t.Errorf("ParseID(Holder(%d)) = %d, %v", id, back, err)
		}
	}
}
