package alert

import (
	"strings"
	"testing"
)

func TestEmbeddedISO3166Tables(t *testing.T) {
	if n := len(Countries()); n < 249 {
		t.Errorf("%d countries, want the full ISO 3166-1 list", n)
	}
	for code, name := range map[string]string{
		"KE": "Kenya", "BO": "Bolivia", "CD": "Democratic Republic of the Congo", "XK": "Kosovo", "GB": "United Kingdom",
	} {
		if c, ok := LookupCountry(code); !ok || c.Name != name {
			t.Errorf("LookupCountry(%q) = %+v, %v; want %q", code, c, ok, name)
		}
	}
	for _, code := range []string{"XX", "ke", "KEN", ""} {
		if _, ok := LookupCountry(code); ok {
			t.Errorf("LookupCountry(%q) found", code)
		}
	}
	if CountryName("ZZ") != "ZZ" {
		t.Error("CountryName of an unknown code must be the code")
	}
	s, ok := LookupSubdivision("KE-30")
	if !ok || s.Name != "Nairobi City" || s.Type != "County" || s.Country() != "KE" {
		t.Errorf("LookupSubdivision(KE-30) = %+v, %v", s, ok)
	}
	kenya := SubdivisionsOf("KE")
	if len(kenya) != 47 {
		t.Errorf("Kenya has %d subdivisions, want its 47 counties", len(kenya))
	}
	for _, s := range kenya {
		if !strings.HasPrefix(s.Code, "KE-") {
			t.Errorf("SubdivisionsOf(KE) holds %q", s.Code)
		}
	}
	if SubdivisionsOf("XX") != nil || SubdivisionsOf("K") != nil {
		t.Error("SubdivisionsOf an unknown country must be nil")
	}
	if !strings.Contains(countriesTSV, "LGPL") || !strings.Contains(subdivisionsTSV, "iso-codes") {
		t.Error("embedded tables lost their source and licence header")
	}
}
