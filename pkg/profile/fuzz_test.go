package profile

import (
	"bytes"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(mustRead(f, "testdata/koppel.example.yaml"))
	f.Add(mustRead(f, "../../configs/koppel.yaml"))
	f.Add([]byte("k: \"${KOPPEL_ADMIN_TOKEN}\" # ${X}\nb: |\n  $$ ${WOO_CONSUMER_KEY:-d}\n"))
	lookup := exampleEnv()
	f.Fuzz(func(t *testing.T, data []byte) {
		if out, err := expand(data, lookup); err == nil {
			if got, want := bytes.Count(out, []byte("\n")), bytes.Count(data, []byte("\n")); got != want {
				t.Fatalf("expand changed the number of lines from %d to %d", want, got)
			}
		}
		c, err := Parse(data, "fuzz.yaml", lookup)
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned a config with error %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse succeeded but Validate fails: %v", err)
		}
		r := c.Redacted()
		for _, p := range c.Profiles {
			if got, ok := r.Profile(p.ID); !ok || got.ID != p.ID {
				t.Fatalf("redacted copy lost profile %q", p.ID)
			}
		}
	})
}
