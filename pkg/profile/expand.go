package profile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// ErrUnsetVariable is returned, wrapped with the line and the variable's
// name, when the configuration refers to an environment variable that is not
// set and has no default.
var ErrUnsetVariable = errors.New("environment variable not set")

// quoting is the kind of YAML text a reference stands in.
type quoting int

const (
	plain       quoting = iota // plain scalar or block scalar
	doubleQuote                // inside "..."
	singleQuote                // inside '...'
)

// expand returns data with ${VAR} and ${VAR:-default} replaced from
// lookupEnv and $$ replaced by $. A default applies when VAR is unset or
// empty; it runs up to the first '}' and is inserted as written.
//
// Comments are copied untouched. Inside a quoted scalar the value is escaped
// so that YAML reads it back exactly; elsewhere it is inserted as is, so a
// value that may hold YAML syntax such as ": " or " #" belongs in quotes. A
// value may not break a line outside double quotes, which keeps the line
// numbers of later YAML errors those of the file.
//
// The scan knows YAML only as far as this needs: quoted scalars (which may
// span lines), comments, and block scalars (| and >), whose content is
// substituted as plain text.
func expand(data []byte, lookupEnv func(string) (string, bool)) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(data))
	q := plain
	block := false    // inside a block scalar's content
	blockIndent := -1 // its content's indentation, -1 until the first non-blank line
	headerIndent := 0 // indentation of the line that opened it
	for n, rest := 1, data; len(rest) > 0; n++ {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]

		if block {
			ind, blank := indentation(line)
			if blank || (blockIndent < 0 && ind > headerIndent) || (blockIndent >= 0 && ind >= blockIndent) {
				if !blank && blockIndent < 0 {
					blockIndent = ind
				}
				if err := expandText(&out, line, n, lookupEnv); err != nil {
					return nil, err
				}
				continue
			}
			block = false
		}

		var (
			code []byte // the line without its comment, while outside quotes
			err  error
		)
		q, code, err = expandLine(&out, line, n, q, lookupEnv)
		if err != nil {
			return nil, err
		}
		if q == plain && opensBlock(code) {
			block, blockIndent = true, -1
			headerIndent, _ = indentation(line)
		}
	}
	return out.Bytes(), nil
}

// expandLine copies one line (with its newline, if any) to out, substituting
// outside comments. q is the quoting the line starts in; expandLine returns
// the quoting it ends in and the line's text before any comment.
func expandLine(out *bytes.Buffer, line []byte, n int, q quoting, lookupEnv func(string) (string, bool)) (quoting, []byte, error) {
	prevSig := byte(0) // last non-blank byte outside quotes; 0 at line start
	for i := 0; i < len(line); i++ {
		b := line[i]
		switch {
		case b == '$':
			skip, err := substitute(out, line[i:], n, q, lookupEnv)
			if err != nil {
				return q, nil, err
			}
			i += skip - 1
			if q == plain {
				prevSig = '$'
			}
			continue
		case q == doubleQuote && b == '\\' && i+1 < len(line):
			out.WriteByte(b)
			i++
			b = line[i]
		case q == doubleQuote && b == '"', q == singleQuote && b == '\'':
			if q == singleQuote && i+1 < len(line) && line[i+1] == '\'' {
				out.WriteByte(b) // '' is an escaped quote
				i++
				break
			}
			q, prevSig = plain, b
		case q != plain:
		case b == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			out.Write(line[i:])
			return q, line[:i], nil
		case (b == '"' || b == '\'') && quoteOpens(line, i, prevSig):
			if b == '"' {
				q = doubleQuote
			} else {
				q = singleQuote
			}
		case b != ' ' && b != '\t' && b != '\r' && b != '\n':
			prevSig = b
		}
		out.WriteByte(b)
	}
	return q, line, nil
}

// expandText copies a line of block scalar content to out, substituting
// throughout: it has neither comments nor quotes.
func expandText(out *bytes.Buffer, line []byte, n int, lookupEnv func(string) (string, bool)) error {
	for i := 0; i < len(line); i++ {
		if line[i] != '$' {
			out.WriteByte(line[i])
			continue
		}
		skip, err := substitute(out, line[i:], n, plain, lookupEnv)
		if err != nil {
			return err
		}
		i += skip - 1
	}
	return nil
}

// quoteOpens reports whether the quote at line[i] starts a quoted scalar
// rather than sitting inside a plain one (as in "it's"): it must follow a
// blank, a flow indicator or nothing, at the start of a value.
func quoteOpens(line []byte, i int, prevSig byte) bool {
	if i > 0 && !strings.ContainsRune(" \t[{,", rune(line[i-1])) {
		return false
	}
	return prevSig == 0 || strings.ContainsRune(":-?[{,", rune(prevSig))
}

// opensBlock reports whether code, a line without its comment, ends in a
// block scalar header such as "key: |", "- >-" or "key: &a |2".
func opensBlock(code []byte) bool {
	fields := strings.Fields(string(code))
	if len(fields) == 0 {
		return false
	}
	last := fields[len(fields)-1]
	if last[0] != '|' && last[0] != '>' || strings.Trim(last[1:], "+-0123456789") != "" {
		return false
	}
	if len(fields) == 1 {
		return true
	}
	prev := fields[len(fields)-2]
	return strings.HasSuffix(prev, ":") || prev == "-" || prev[0] == '!' || prev[0] == '&'
}

// indentation returns the number of leading spaces of line and whether the
// line holds nothing but blanks.
func indentation(line []byte) (int, bool) {
	n := len(line) - len(bytes.TrimLeft(line, " "))
	return n, len(bytes.TrimSpace(line)) == 0
}

// substitute handles the '$' at s[0], writing its replacement to out. It
// returns how many bytes of s it consumed. A '$' that starts neither "$$"
// nor "${" is copied as is.
func substitute(out *bytes.Buffer, s []byte, n int, q quoting, lookupEnv func(string) (string, bool)) (int, error) {
	if len(s) < 2 || (s[1] != '$' && s[1] != '{') {
		out.WriteByte('$')
		return 1, nil
	}
	if s[1] == '$' {
		out.WriteByte('$')
		return 2, nil
	}
	end := bytes.IndexAny(s, "}\n")
	if end < 0 || s[end] != '}' {
		return 0, fmt.Errorf("line %d: unterminated %q: missing '}'", n, firstLine(s))
	}
	name, def, hasDef := strings.Cut(string(s[2:end]), ":-")
	if !validName(name) {
		return 0, fmt.Errorf("line %d: invalid variable name %q in %s", n, name, s[:end+1])
	}
	v, ok := "", false
	if lookupEnv != nil {
		v, ok = lookupEnv(name)
	}
	if hasDef && v == "" {
		v, ok = def, true
	}
	if !ok {
		return 0, fmt.Errorf("line %d: ${%s}: %w", n, name, ErrUnsetVariable)
	}
	switch {
	case q == doubleQuote:
		v = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(v)
	case strings.ContainsAny(v, "\r\n"):
		return 0, fmt.Errorf("line %d: value of %s breaks the line; use it inside double quotes", n, name)
	case q == singleQuote:
		v = strings.ReplaceAll(v, "'", "''")
	}
	out.WriteString(v)
	return end + 1, nil
}

// validName reports whether s is a shell-style variable name.
func validName(s string) bool {
	for i, r := range s {
		if !(r == '_' || 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || i > 0 && '0' <= r && r <= '9') {
			return false
		}
	}
	return s != ""
}

// firstLine returns s up to its first line break.
func firstLine(s []byte) []byte {
	if i := bytes.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
