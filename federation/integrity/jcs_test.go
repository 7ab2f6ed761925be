package integrity

import (
	"math"
	"strconv"
	"testing"
)

// The canonicaliser is a dependency (github.com/gowebpki/jcs); these are
// RFC 8785's own examples, so a library that drifts from the RFC fails here
// before it breaks every proof we make or check.

func TestJCSMatchesRFC8785Example(t *testing.T) {
	// RFC 8785 section 3.2.2: whitespace, number and string serialisation.
	in := `{
	  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
	  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
	  "literals": [null, true, false]
	}`
	want := `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`
	got, err := canonicalize([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("canonical form:\n got %s\nwant %s", got, want)
	}
}

func TestJCSSortsKeysByUTF16CodeUnits(t *testing.T) {
	// RFC 8785 section 3.2.3: "\r" < "1" < U+0080 < "ö" < "€" < U+1F600
	// (a surrogate pair, D83D) < U+FB33, which UTF-8 byte order would get
	// wrong for the last two.
	in := `{
	  "\u20ac": "Euro Sign",
	  "\r": "Carriage Return",
	  "\ufb33": "Hebrew Letter Dalet With Dagesh",
	  "1": "One",
	  "\ud83d\ude00": "Emoji: Grinning Face",
	  "\u0080": "Control",
	  "\u00f6": "Latin Small Letter O With Diaeresis"
	}`
	want := "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\"," +
		"\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"
	got, err := canonicalize([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("canonical form:\n got %q\nwant %q", got, want)
	}
}

func TestJCSNumbersMatchRFC8785AppendixB(t *testing.T) {
	// RFC 8785 appendix B: IEEE 754 bits and their ECMAScript serialisation.
	cases := []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	}
	for _, c := range cases {
		f := math.Float64frombits(c.bits)
		// Any valid spelling of the number must come out the same.
		in := "[" + strconv.FormatFloat(f, 'e', -1, 64) + "]"
		got, err := canonicalize([]byte(in))
		if err != nil {
			t.Errorf("%016x: %v", c.bits, err)
			continue
		}
		if string(got) != "["+c.want+"]" {
			t.Errorf("%016x (%s): got %s, want [%s]", c.bits, in, got, c.want)
		}
	}
}

func TestJCSRefusesWhatRFC8785Excludes(t *testing.T) {
	for _, in := range []string{
		`{"a":1,"a":2}`,  // duplicate names (section 3.1)
		`{"a":"\ud800"}`, // lone surrogate: not I-JSON
		`{"a":1e400}`,    // outside IEEE 754 double
		`{"a":1,}`,       // not JSON
	} {
		if out, err := canonicalize([]byte(in)); err == nil {
			t.Errorf("%s canonicalised to %s, want an error", in, out)
		}
	}
}
