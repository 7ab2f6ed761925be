package alert

// The ISO 3166 tables are generated from Debian's iso-codes JSON (data
// LGPL-2.1-or-later, (c) the iso-codes project) by internal/isogen and
// committed, so builds never need the iso-codes package. To refresh them:
//
//	apt-get install -y iso-codes && go generate ./alert/

//go:generate go run ./internal/isogen -src /usr/share/iso-codes/json -out .

import (
	_ "embed"
	"sort"
	"strings"
	"sync"
)

//go:embed iso3166-1.tsv
var countriesTSV string

//go:embed iso3166-2.tsv
var subdivisionsTSV string

// Country is an ISO 3166-1 country (or XK, Kosovo, the one user-assigned code
// the table adds) with the English name people use ("Bolivia", not "Bolivia,
// Plurinational State of").
type Country struct {
	Code string // alpha-2, upper case: "KE"
	Name string // English: "Kenya"
}

// Subdivision is an ISO 3166-2 subdivision, named as ISO names it (usually in
// the local language, romanised).
type Subdivision struct {
	Code string // "KE-30"
	Name string // "Nairobi City"
	Type string // "County"
}

// Country returns the alpha-2 code of the country the subdivision is in.
func (s Subdivision) Country() string { return s.Code[:2] }

type isoTables struct {
	countries    []Country // sorted by code
	country      map[string]Country
	subdivisions []Subdivision // sorted by code, so one country's are contiguous
	subdivision  map[string]Subdivision
}

// tables parses the embedded files on first use; the strings point into the
// embedded data, so the tables cost little more than their maps.
var tables = sync.OnceValue(func() *isoTables {
	t := &isoTables{country: map[string]Country{}, subdivision: map[string]Subdivision{}}
	eachLine(countriesTSV, func(f []string) {
		c := Country{Code: f[0], Name: f[1]}
		t.countries = append(t.countries, c)
		t.country[c.Code] = c
	})
	eachLine(subdivisionsTSV, func(f []string) {
		s := Subdivision{Code: f[0], Name: f[1], Type: f[2]}
		t.subdivisions = append(t.subdivisions, s)
		t.subdivision[s.Code] = s
	})
	return t
})

func eachLine(data string, fn func([]string)) {
	for line := range strings.Lines(data) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" || line[0] == '#' {
			continue
		}
		fn(strings.Split(line, "\t"))
	}
}

// LookupCountry returns the country with the given alpha-2 code. The code
// must be exact (upper case); see Alert.Normalize for tidying input.
func LookupCountry(code string) (Country, bool) {
	c, ok := tables().country[code]
	return c, ok
}

// CountryName returns the English name of the country with the given code,
// or the code itself when it is not in the table.
func CountryName(code string) string {
	if c, ok := LookupCountry(code); ok {
		return c.Name
	}
	return code
}

// Countries returns every country, sorted by code. The slice is a copy.
func Countries() []Country {
	return append([]Country(nil), tables().countries...)
}

// LookupSubdivision returns the subdivision with the given ISO 3166-2 code
// (exact, upper case: "KE-30").
func LookupSubdivision(code string) (Subdivision, bool) {
	s, ok := tables().subdivision[code]
	return s, ok
}

// SubdivisionsOf returns the subdivisions of the country with the given
// alpha-2 code, sorted by code; nil for an unknown country or one without
// subdivisions. The slice is a copy.
func SubdivisionsOf(country string) []Subdivision {
	all := tables().subdivisions
	prefix := country + "-"
	i := sort.Search(len(all), func(i int) bool { return all[i].Code >= prefix })
	j := i
	for j < len(all) && strings.HasPrefix(all[j].Code, prefix) {
		j++
	}
	if i == j {
		return nil
	}
	return append([]Subdivision(nil), all[i:j]...)
}
