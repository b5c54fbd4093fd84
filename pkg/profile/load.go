package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// Load reads the configuration file at path and parses it with [Parse],
// taking environment variables from lookupEnv (os.LookupEnv in main, a map in
// tests). It returns the same errors as Parse, and the error from reading the
// file.
func Load(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, path, lookupEnv)
}

// Parse reads a configuration from data, a YAML document; source names it in
// errors. It returns a configuration with its defaults applied that has
// passed [Config.Validate].
//
// First it replaces ${VAR} by the value lookupEnv reports for VAR, and
// ${VAR:-default} by that value or, when VAR is unset or empty, by default;
// $$ stands for a literal $. References in comments are left alone, and
// inside a quoted scalar the value is escaped so YAML reads it back as is. A
// nil lookupEnv behaves as an empty environment. An unset variable without a
// default is an error wrapping [ErrUnsetVariable] that gives the line.
//
// Then it decodes the YAML. A key that no field takes is an error naming the
// key and its line. Finally it applies defaults and validates; a
// configuration that fails returns an error wrapping a [*ValidationError].
func Parse(data []byte, source string, lookupEnv func(string) (string, bool)) (*Config, error) {
	expanded, err := expand(data, lookupEnv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: no configuration", source)
		}
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: want one YAML document, found more", source)
	}
	c.setDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return &c, nil
}
