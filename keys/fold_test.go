package keys

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestFoldExamples(t *testing.T) {
	for in, want := range map[string]string{
		"":                "",
		"node-1":          "node-1",
		"Node-1":          "node-1",
		"NODE-1":          "node-1",
		"Bond0":           "bond0",
		"\u212aelvin":     "kelvin", // Kelvin sign folds with k
		"\u017fs":         "ss",     // long s folds with s
		"ΣΑΣ":             "σασ",
		"ς":               "σ", // final sigma is in Σ's orbit
		"\u0130":          "\u0130",
		"straße":          "straße", // simple folding: ß is not "ss"
		"STRASSE":         "strasse",
		"é":               "é", // accents are kept (MySQL's general_ci would drop them)
		"É":               "é",
		"bad\xffUTF8\xfe": "bad\xffutf8\xfe",
		"A/B":             "a/b",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every rune folds to a member of its own SimpleFold orbit, and every
// member of an orbit folds alike: Fold(a) == Fold(b) exactly when
// strings.EqualFold(a, b), rune by rune.
func TestFoldIsEqualFold(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		f := foldRune(r)
		if !strings.EqualFold(string(f), string(r)) {
			t.Fatalf("foldRune(%U) = %U, not EqualFold", r, f)
		}
		for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
			if foldRune(o) != f {
				t.Fatalf("%U and %U are one orbit but fold to %U and %U", r, o, f, foldRune(o))
			}
		}
		if foldRune(f) != f {
			t.Fatalf("foldRune(%U) = %U is not its own fold", r, f)
		}
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range awkward {
		f.Add(s, strings.ToUpper(s))
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		fa := Fold(a)
		if Fold(fa) != fa {
			t.Fatalf("Fold(%q) = %q is not its own fold", a, fa)
		}
		if utf8.RuneCountInString(fa) != utf8.RuneCountInString(a) {
			t.Fatalf("Fold(%q) = %q changed the rune count", a, fa)
		}
		if utf8.ValidString(a) && utf8.ValidString(b) && (fa == Fold(b)) != strings.EqualFold(a, b) {
			t.Fatalf("Fold(%q) == Fold(%q) is %v, EqualFold says %v", a, b, fa == Fold(b), strings.EqualFold(a, b))
		}
	})
}
