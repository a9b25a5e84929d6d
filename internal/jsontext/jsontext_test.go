package jsontext

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		doc      string
		maxDepth int
		want     error // nil, ErrLoneSurrogate, or errDepth
	}{
		{`{"a":"plain"}`, 0, nil},
		{`{"a":"\u00e9 \ud83d\ude00"}`, 0, nil}, // a pair is one character
		{`{"a":"\\udcff"}`, 0, nil},             // an escaped backslash, then text
		{`{"a":"\udcff"}`, 0, ErrLoneSurrogate},
		{`{"\ud800":1}`, 0, ErrLoneSurrogate}, // in a key too
		{`["\ud800x"]`, 0, ErrLoneSurrogate},
		{`["\ud800\u0041"]`, 0, ErrLoneSurrogate}, // high half, then no low half
		{`["\udc00\ud800"]`, 0, ErrLoneSurrogate}, // halves in the wrong order
		{`[[[1]]]`, 3, nil},
		{`[[[[1]]]]`, 3, errDepth},
		{strings.Repeat("[", 5000) + strings.Repeat("]", 5000), 0, nil},
		{`["[[[[", "]]]]"]`, 1, nil}, // brackets in strings do not nest
	}
	for _, c := range cases {
		err := Check([]byte(c.doc), c.maxDepth)
		switch {
		case c.want == nil && err != nil:
			t.Errorf("Check(%.40q, %d) = %v, want nil", c.doc, c.maxDepth, err)
		case c.want == ErrLoneSurrogate && !errors.Is(err, ErrLoneSurrogate):
			t.Errorf("Check(%.40q) = %v, want ErrLoneSurrogate", c.doc, err)
		case c.want == errDepth && (err == nil || errors.Is(err, ErrLoneSurrogate)):
			t.Errorf("Check(%.40q, %d) = %v, want a depth error", c.doc, c.maxDepth, err)
		}
	}
}

var errDepth = errors.New("depth")
