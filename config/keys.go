package config

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

const envPrefix = "TOCSIN_"

// kind is how a key's value is written and parsed.
type kind int

const (
	kindString kind = iota
	kindBool
	kindInt
	kindSize     // int64 bytes: 1048576 or "1MiB"
	kindDuration // time.Duration: "15s"
	kindList     // []string: ["en", "fr"] or "en,fr"
)

var kindNames = [...]string{"string", "bool", "int", "size", "duration", "list"}

func (k kind) String() string { return kindNames[k] }

// field is one key, derived from the tags of a Config field.
type field struct {
	name     string // dotted: "log.format"
	env      string // TOCSIN_LOG_FORMAT
	kind     kind
	doc      string
	oneof    []string // allowed values; "" in it allows the empty string
	hasRange bool
	min, max int64
	check    string // name of an entry of checks
	index    []int  // reflect index path from Config
}

// The key table, built once from the Config type.
var (
	fields      = buildFields()
	fieldByName = make(map[string]*field)
	fieldByEnv  = make(map[string]*field)
	sections    = make(map[string]bool)
)

func init() {
	for _, f := range fields {
		if fieldByName[f.name] != nil || fieldByEnv[f.env] != nil {
			panic("config: duplicate key or env name " + f.name)
		}
		fieldByName[f.name] = f
		fieldByEnv[f.env] = f
		if sec, _, ok := strings.Cut(f.name, "."); ok {
			sections[sec] = true
		}
	}
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	stringsType  = reflect.TypeFor[[]string]()
)

// buildFields walks Config's tagged fields; top-level struct fields are
// sections. A malformed tag is a programming error and panics at start-up,
// so a key added without a doc line or of an unsupported type fails every
// test at once.
func buildFields() []*field {
	var out []*field
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			name, ok := sf.Tag.Lookup("key")
			if !ok {
				continue
			}
			idx := append(slices.Clone(index), i)
			if sf.Type.Kind() == reflect.Struct && sf.Type != durationType {
				if prefix != "" {
					panic("config: sections cannot nest: " + prefix + name)
				}
				walk(sf.Type, name+".", idx)
				continue
			}
			out = append(out, newField(sf, prefix+name, idx))
		}
	}
	walk(reflect.TypeFor[Config](), "", nil)
	return out
}

func newField(sf reflect.StructField, name string, index []int) *field {
	f := &field{
		name:  name,
		env:   envPrefix + strings.ToUpper(strings.ReplaceAll(name, ".", "_")),
		doc:   sf.Tag.Get("doc"),
		check: sf.Tag.Get("check"),
		index: index,
	}
	bad := func(why string) { panic(fmt.Sprintf("config: field for key %q: %s", name, why)) }
	if f.doc == "" {
		bad("no doc tag")
	}
	switch t := sf.Type; {
	case t == durationType:
		f.kind = kindDuration
	case t == stringsType:
		f.kind = kindList
	case t.Kind() == reflect.String:
		f.kind = kindString
	case t.Kind() == reflect.Bool:
		f.kind = kindBool
	case t.Kind() == reflect.Int:
		f.kind = kindInt
	case t.Kind() == reflect.Int64 && sf.Tag.Get("kind") == "size":
		f.kind = kindSize
	default:
		bad("unsupported type " + t.String())
	}
	if s, ok := sf.Tag.Lookup("oneof"); ok {
		if f.kind != kindString {
			bad("oneof on a non-string")
		}
		f.oneof = strings.Split(s, "|")
	}
	if s, ok := sf.Tag.Lookup("range"); ok {
		lo, hi, ok := strings.Cut(s, "..")
		var err1, err2 error
		f.min, err1 = strconv.ParseInt(lo, 10, 64)
		f.max, err2 = strconv.ParseInt(hi, 10, 64)
		if !ok || err1 != nil || err2 != nil || f.kind != kindInt {
			bad("bad range tag " + s)
		}
		f.hasRange = true
	}
	if f.check != "" && (f.kind == kindString && checks[f.check] == nil ||
		f.kind == kindList && listChecks[f.check] == nil ||
		f.kind != kindString && f.kind != kindList) {
		bad("unknown check " + f.check + " for a " + f.kind.String())
	}
	return f
}

// KeyInfo describes one configuration key.
type KeyInfo struct {
	Name    string // dotted key as in the file: "log.format"
	Env     string // environment variable: "TOCSIN_LOG_FORMAT"
	Type    string // string, bool, int, size, duration or list
	Default string // default value as text, as Set accepts it ("15s", "1MiB", "en")
	Doc     string // one line
}

// Keys returns every key in declaration order (top-level keys, then
// sections in order).
func Keys() []KeyInfo {
	def := Default()
	out := make([]KeyInfo, len(fields))
	for i, f := range fields {
		out[i] = KeyInfo{Name: f.name, Env: f.env, Type: f.kind.String(), Default: f.format(&def), Doc: f.doc}
	}
	return out
}

// Set applies one value, written as text, to the dotted key ("domain",
// "log.format", "federation.signature_window"). source says where the value
// came from ("--log-format", "TOCSIN_LOG_FORMAT") and is named in errors,
// including those Validate finds later. Set only parses; call Validate
// after the last Set. Lists are comma-separated; sizes are bytes or "4MiB";
// durations are like "15s".
func (c *Config) Set(key, value, source string) error {
	f := fieldByName[key]
	if f == nil {
		return &Error{Key: key, Source: source, Msg: "unknown key" + suggest(key)}
	}
	v, err := f.parseText(value)
	if err != nil {
		return &Error{Key: key, Source: source, Msg: err.Error()}
	}
	c.assign(f, v, origin{source: source})
	return nil
}

// origin is where a value came from.
type origin struct {
	source string
	line   int // > 0 for a file
}

func (o origin) String() string {
	switch {
	case o.source == "":
		return "the default"
	case o.line > 0:
		return fmt.Sprintf("from %s:%d", o.source, o.line)
	default:
		return "from " + o.source
	}
}

func (c *Config) assign(f *field, v any, o origin) {
	rv := reflect.ValueOf(c).Elem().FieldByIndex(f.index)
	rv.Set(reflect.ValueOf(v).Convert(rv.Type()))
	if c.origins == nil {
		c.origins = make(map[string]origin)
	}
	c.origins[f.name] = o
}

// value returns the field's current value in c.
func (f *field) value(c *Config) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByIndex(f.index)
}

// parseText parses a value written as text (env, flags) into the Go value
// for f's kind.
func (f *field) parseText(s string) (any, error) {
	switch f.kind {
	case kindBool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("must be true or false, got %q", s)
		}
		return b, nil
	case kindInt:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("must be an integer, got %q", s)
		}
		return n, nil
	case kindSize:
		return parseSize(s)
	case kindDuration:
		return parseDuration(s)
	case kindList:
		var list []string
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		if list == nil {
			list = []string{}
		}
		return list, nil
	default:
		return s, nil
	}
}

// parseTOML converts a decoded TOML value into the Go value for f's kind.
func (f *field) parseTOML(v any) (any, error) {
	switch f.kind {
	case kindString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, fmt.Errorf("must be a string, got %s", describe(v))
	case kindBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("must be true or false, got %s", describe(v))
	case kindInt:
		if n, ok := v.(int64); ok && n >= math.MinInt && n <= math.MaxInt {
			return int(n), nil
		}
		return nil, fmt.Errorf("must be an integer, got %s", describe(v))
	case kindSize:
		switch v := v.(type) {
		case int64:
			return v, nil
		case string:
			return parseSize(v)
		}
		return nil, fmt.Errorf(`must be a number of bytes or a string like "256KiB", got %s`, describe(v))
	case kindDuration:
		if s, ok := v.(string); ok {
			return parseDuration(s)
		}
		return nil, fmt.Errorf(`must be a duration string like "15s" or "2m", got %s`, describe(v))
	case kindList:
		arr, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf(`must be an array of strings like ["en"], got %s`, describe(v))
		}
		list := make([]string, len(arr))
		for i, e := range arr {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("must be an array of strings, but element %d is %s", i+1, describe(e))
			}
			list[i] = s
		}
		return list, nil
	}
	panic("unreachable")
}

// format writes f's value in c as text that parseText accepts.
func (f *field) format(c *Config) string {
	rv := f.value(c)
	switch f.kind {
	case kindBool:
		return strconv.FormatBool(rv.Bool())
	case kindInt:
		return strconv.FormatInt(rv.Int(), 10)
	case kindSize:
		return formatSize(rv.Int())
	case kindDuration:
		return formatDuration(time.Duration(rv.Int()))
	case kindList:
		return strings.Join(rv.Interface().([]string), ",")
	default:
		return rv.String()
	}
}

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1000, "mb": 1000 * 1000, "gb": 1000 * 1000 * 1000,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
}

// parseSize parses a byte size: "1048576", "256KiB", "4MiB", "1MB", "2 GiB".
// Units are case-insensitive; KB, MB, GB are powers of 1000, KiB, MiB, GiB
// powers of 1024.
func parseSize(s string) (int64, error) {
	bad := fmt.Errorf(`must be a size like 1048576, "256KiB", "4MiB" or "1MB", got %q`, s)
	t := strings.TrimSpace(s)
	end := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	num, unit := t, ""
	if end >= 0 {
		num, unit = t[:end], strings.TrimSpace(t[end:])
	}
	mult, ok := sizeUnits[strings.ToLower(unit)]
	if num == "" || !ok {
		return 0, bad
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mult, nil
}

// formatSize writes n in the largest binary unit that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		mult int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf(`must be a duration like "15s", "2m" or "12h", got %q`, s)
	}
	return d, nil
}

// formatDuration is time.Duration.String without zero trailing units:
// "2m" rather than "2m0s", "12h" rather than "12h0m0s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// describe names a decoded TOML value's type (and value, when short) for
// error messages: `string "15"`, `integer 15`, `table`.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("string %q", v)
	case int64:
		return fmt.Sprintf("integer %d", v)
	case float64:
		return fmt.Sprintf("float %v", v)
	case bool:
		return fmt.Sprintf("boolean %v", v)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	default:
		return "a date/time"
	}
}

// suggest returns ` (did you mean "x"?)` when a known key or section is
// within two edits of name, else "".
func suggest(name string) string {
	best, bestDist := "", 3
	try := func(cand string) {
		if d := editDistance(name, cand); d < bestDist {
			best, bestDist = cand, d
		}
	}
	for _, f := range fields {
		try(f.name)
	}
	for _, s := range slices.Sorted(maps.Keys(sections)) {
		try(s)
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
