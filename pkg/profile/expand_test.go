package profile

import (
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// env returns a lookupEnv over m.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{
		"A":     "x",
		"EMPTY": "",
		"Q":     `a"b\c`,
		"S":     "it's",
		"NL":    "a\nb",
	}
	tests := map[string]struct {
		in      string
		want    string
		wantErr string // substring of the error; empty: no error
		wantIs  error
	}{
		"set":                          {in: "key: ${A}\n", want: "key: x\n"},
		"set, inside text":             {in: "url: https://${A}.nl/${A}\n", want: "url: https://x.nl/x\n"},
		"unset with default":           {in: "key: ${B:-def}", want: "key: def"},
		"set ignores default":          {in: "key: ${A:-def}", want: "key: x"},
		"empty uses default":           {in: "key: ${EMPTY:-def}", want: "key: def"},
		"empty without default":        {in: "key: '${EMPTY}'", want: "key: ''"},
		"default with colon":           {in: "listen: ${B:-:8080}", want: "listen: :8080"},
		"dollar escape":                {in: "price: $$5 and $${A}", want: "price: $5 and ${A}"},
		"lone dollar":                  {in: "a: x$y $\n", want: "a: x$y $\n"},
		"comment left alone":           {in: "a: 1 # ${NOPE} $$\n# ${NOPE}\n", want: "a: 1 # ${NOPE} $$\n# ${NOPE}\n"},
		"hash inside a value":          {in: "url: http://h/#${A}", want: "url: http://h/#x"},
		"hash inside quotes":           {in: `a: "b #${A}" # ${NOPE}`, want: `a: "b #x" # ${NOPE}`},
		"double quotes escape":         {in: `k: "${Q}"`, want: `k: "a\"b\\c"`},
		"single quotes escape":         {in: "k: '${S}'", want: "k: 'it''s'"},
		"apostrophe in plain scalar":   {in: "k: it's ${A} # ${NOPE}", want: "k: it's x # ${NOPE}"},
		"quoted scalar over two lines": {in: "k: \"a\n  # ${A}\" # ${NOPE}", want: "k: \"a\n  # x\" # ${NOPE}"},
		"line break in double quotes":  {in: `k: "${NL}"`, want: `k: "a\nb"`},
		"quote after a reference":      {in: "k: ${A} 'b # ${A}", want: "k: x 'b # ${A}"},
		"block scalar": {
			in:   "k: |\n  # ${A} isn't a comment\n\n  'x ${A}\nn: 1 # ${NOPE}\n",
			want: "k: |\n  # x isn't a comment\n\n  'x x\nn: 1 # ${NOPE}\n",
		},
		"unset without default": {
			in:      "a: 1\nkey: ${MISSING}\n",
			wantErr: "line 2: ${MISSING}: environment variable not set",
			wantIs:  ErrUnsetVariable,
		},
		"unset in single quotes":     {in: "a: '${MISSING}'", wantErr: "line 1: ${MISSING}", wantIs: ErrUnsetVariable},
		"unterminated":               {in: "a: 1\nb: 2\nk: ${A\n}", wantErr: "line 3: unterminated"},
		"invalid name":               {in: "k: ${1A}", wantErr: `line 1: invalid variable name "1A"`},
		"empty name":                 {in: "k: ${:-x}", wantErr: `invalid variable name ""`},
		"line break in plain scalar": {in: "k: ${NL}", wantErr: "line 1: value of NL breaks the line"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := expand([]byte(tc.in), env(vars))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("expand(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
					t.Errorf("errors.Is(%v, %v) = false", err, tc.wantIs)
				}
				return
			}
			if err != nil {
				t.Fatalf("expand(%q): %v", tc.in, err)
			}
			if string(got) != tc.want {
				t.Errorf("expand(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestExpandQuotedRoundTrip checks that a value referenced inside quotes reads
// back from YAML exactly as the environment holds it.
func TestExpandQuotedRoundTrip(t *testing.T) {
	values := map[string]string{
		"quote and backslash": `a"b\c`,
		"yaml syntax":         "x: y #z, [1] {a} &b *c !d",
		"dollar and braces":   "$${A}",
		"tab and line breaks": "a\tb\r\nc",
		"apostrophe":          "it's",
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			for _, doc := range []string{`k: "${V}"`, `k: '${V}'`} {
				if strings.ContainsAny(v, "\r\n") && doc[3] == '\'' {
					continue // line breaks are refused outside double quotes
				}
				out, err := expand([]byte(doc), env(map[string]string{"V": v}))
				if err != nil {
					t.Fatalf("expand(%s): %v", doc, err)
				}
				var got map[string]string
				if err := yaml.Unmarshal(out, &got); err != nil {
					t.Fatalf("unmarshal %q: %v", out, err)
				}
				if got["k"] != v {
					t.Errorf("%s with V=%q reads back as %q", doc, v, got["k"])
				}
			}
		})
	}
}
