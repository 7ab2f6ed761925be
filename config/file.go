package config

import (
	"errors"
	"os"
	"slices"

	"github.com/BurntSushi/toml"
)

// readFile applies the TOML file at path on top of c. Problems are reported
// in file order; the first one is returned.
func (c *Config) readFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &Error{Source: path, Msg: "cannot read config file: " + err.Error(), Err: err}
	}
	var top map[string]toml.Primitive
	md, err := toml.Decode(string(data), &top)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return &Error{Key: pe.LastKey, Source: path, Line: pe.Position.Line, Msg: pe.Message, Err: err}
		}
		return &Error{Source: path, Msg: err.Error(), Err: err}
	}

	entries := collect(&md, top)
	slices.SortStableFunc(entries, func(a, b entry) int { return a.line - b.line })
	for _, e := range entries {
		if e.problem != "" {
			return &Error{Key: e.key, Source: path, Line: e.line, Msg: e.problem}
		}
		v, err := e.field.parseTOML(e.value)
		if err != nil {
			return &Error{Key: e.key, Source: path, Line: e.line, Msg: err.Error()}
		}
		c.assign(e.field, v, origin{source: path, line: e.line})
	}
	return nil
}

// entry is one key found in the file: a value for a known field, or a
// problem (unknown key, a table where a value belongs, ...).
type entry struct {
	key     string // dotted, as written (quoted parts stay quoted)
	line    int
	field   *field
	value   any
	problem string
}

// collect walks the decoded file: known top-level keys, then the keys of
// known sections. Everything else is an entry with a problem.
func collect(md *toml.MetaData, top map[string]toml.Primitive) []entry {
	var out []entry
	for name, prim := range top {
		key := toml.Key{name}.String()
		value := decodeAny(md, prim)
		if f := fieldByName[key]; f != nil {
			out = append(out, entry{key: key, line: lineOf(md, prim), field: f, value: value})
			continue
		}
		sec := subkeys(md, prim, value)
		line := tableLine(md, prim, sec)
		switch {
		case !sections[key]:
			out = append(out, entry{key: key, line: line, problem: "unknown key" + suggest(key)})
		case sec == nil:
			out = append(out, entry{key: key, line: line,
				problem: "must be a table ([" + key + "]), got " + describe(value)})
		default:
			for sub, p := range sec {
				full := toml.Key{name, sub}.String()
				e := entry{key: full, line: lineOf(md, p), field: fieldByName[full], value: decodeAny(md, p)}
				if e.field == nil {
					e.problem = "unknown key" + suggest(full)
				}
				out = append(out, e)
			}
		}
	}
	return out
}

// subkeys returns the keys of a table as primitives, or nil if value is not
// a table.
func subkeys(md *toml.MetaData, p toml.Primitive, value any) map[string]toml.Primitive {
	if _, ok := value.(map[string]any); !ok {
		return nil
	}
	var sec map[string]toml.Primitive
	if err := md.PrimitiveDecode(p, &sec); err != nil {
		return nil
	}
	return sec
}

// tableLine returns the line of a table's [header], or for a table made
// only by dotted keys ("log.format = ..."), the line of its first key.
func tableLine(md *toml.MetaData, p toml.Primitive, sec map[string]toml.Primitive) int {
	line := lineOf(md, p)
	if line > 0 {
		return line
	}
	for _, sp := range sec {
		if l := lineOf(md, sp); l > 0 && (line == 0 || l < line) {
			line = l
		}
	}
	return line
}

// decodeAny returns the plain decoded value of p: string, int64, float64,
// bool, []any, map[string]any, ...
func decodeAny(md *toml.MetaData, p toml.Primitive) any {
	var v any
	if err := md.PrimitiveDecode(p, &v); err != nil {
		return nil
	}
	return v
}

// lineOf returns the line where the key holding p was defined, or 0.
//
// BurntSushi/toml keeps each key's position but exposes it only in the
// ParseError of a failed decode, which points at the key being decoded. So
// we decode p into a probe that always fails and read the position from the
// error. TestFileErrorsNameKeyAndLine guards this against library changes.
func lineOf(md *toml.MetaData, p toml.Primitive) int {
	var probe lineProbe
	var pe toml.ParseError
	if err := md.PrimitiveDecode(p, &probe); errors.As(err, &pe) {
		return pe.Position.Line
	}
	return 0
}

type lineProbe struct{}

var errProbe = errors.New("config: line probe")

func (*lineProbe) UnmarshalTOML(any) error { return errProbe }
