package alert

import (
	"regexp"
	"testing"

	tocsin "github.com/tocsin-network/tocsin"
)

func TestParseSeverity(t *testing.T) {
	tests := map[string]Severity{
		"minor": SeverityMinor, "Moderate": SeverityModerate, "SEVERE": SeveritySevere, " extreme ": SeverityExtreme,
	}
	for in, want := range tests {
		if got, err := ParseSeverity(in); err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "unknown", "high", "sev"} {
		if _, err := ParseSeverity(in); tocsin.ErrorCode(err) != tocsin.EINVALID {
			t.Errorf("ParseSeverity(%q): err %v, want EINVALID", in, err)
		}
	}
	for i, s := range Severities() {
		if s.Rank() != i+1 || !s.Valid() {
			t.Errorf("%q: rank %d", s, s.Rank())
		}
	}
	if SeverityExtreme.CAP() != "Extreme" || Severity("x").Valid() {
		t.Error("CAP form or Valid wrong")
	}
}

func TestParseConfidence(t *testing.T) {
	tests := map[string]Confidence{
		"observed": ConfidenceObserved, "Likely": ConfidenceLikely, "POSSIBLE": ConfidencePossible, "unlikely ": ConfidenceUnlikely,
	}
	for in, want := range tests {
		if got, err := ParseConfidence(in); err != nil || got != want {
			t.Errorf("ParseConfidence(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "unknown", "certain"} {
		if _, err := ParseConfidence(in); err == nil {
			t.Errorf("ParseConfidence(%q): want error", in)
		}
	}
	if ConfidenceObserved.CAP() != "Observed" {
		t.Error("CAP form wrong")
	}
}

func TestParseStatus(t *testing.T) {
	tests := map[string]Status{
		"active": StatusActive, "Updated": StatusUpdated, "RESOLVED": StatusResolved, "retracted": StatusRetracted,
	}
	for in, want := range tests {
		if got, err := ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "expired", "deleted"} {
		if _, err := ParseStatus(in); err == nil {
			t.Errorf("ParseStatus(%q): want error", in)
		}
	}
}

func TestParseCategoryAcceptsSlugLabelAndHashtag(t *testing.T) {
	tests := map[string]Category{
		"disinformation":  CategoryDisinformation,
		"#Disinformation": CategoryDisinformation,
		"Disinformation and information manipulation": CategoryDisinformation,
		"cyber-incident":                       CategoryCyberIncident,
		"Cyber incident":                       CategoryCyberIncident,
		"#CyberIncident":                       CategoryCyberIncident,
		"cyberincident":                        CategoryCyberIncident,
		"CYBER_INCIDENT":                       CategoryCyberIncident,
		"violence-intimidation":                CategoryViolenceIntimidation,
		"Violence and intimidation":            CategoryViolenceIntimidation,
		"legal-obstruction":                    CategoryLegalObstruction,
		"Legal and administrative obstruction": CategoryLegalObstruction,
		"#VoterSuppression":                    CategoryVoterSuppression,
		"vote buying":                          CategoryVoteBuying,
		"administration-failure":               CategoryAdministrationFailure,
		"Election administration failure":      CategoryAdministrationFailure,
		"online harassment and hate speech":    CategoryOnlineHarassment,
		"#foreigninterference":                 CategoryForeignInterference,
		"other":                                CategoryOther,
		"#ElectionIntegrity":                   CategoryOther,
	}
	for in, want := range tests {
		if got, err := ParseCategory(in); err != nil || got != want {
			t.Errorf("ParseCategory(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "#", "fraud", "cyber"} {
		if _, err := ParseCategory(in); tocsin.ErrorCode(err) != tocsin.EINVALID {
			t.Errorf("ParseCategory(%q): err %v, want EINVALID", in, err)
		}
	}
}

// The taxonomy is a published contract: slugs are kebab-case and unique,
// hashtags CamelCase and unique, every entry parses back to itself.
func TestCategoryTaxonomyIsConsistent(t *testing.T) {
	slug := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	tag := regexp.MustCompile(`^#([A-Z][a-z]+)+$`)
	seen := map[string]bool{}
	for _, ci := range Categories() {
		if !slug.MatchString(string(ci.Slug)) || !tag.MatchString(ci.Hashtag) || ci.Label == "" || ci.Description == "" {
			t.Errorf("malformed entry %+v", ci)
		}
		for _, k := range []string{string(ci.Slug), ci.Hashtag} {
			if seen[k] {
				t.Errorf("%q used twice", k)
			}
			seen[k] = true
		}
		if got, err := ParseCategory(ci.Hashtag); got != ci.Slug || err != nil {
			t.Errorf("ParseCategory(%q) = %q, %v", ci.Hashtag, got, err)
		}
		if ci.Slug.Label() != ci.Label || ci.Slug.Hashtag() != ci.Hashtag || !ci.Slug.Valid() {
			t.Errorf("methods disagree with table for %q", ci.Slug)
		}
	}
	if len(Categories()) < 10 {
		t.Errorf("taxonomy has %d categories", len(Categories()))
	}
	if CategoryDisinformation.Hashtag() != "#Disinformation" || CategoryCyberIncident.Hashtag() != "#CyberIncident" {
		t.Error("documented hashtags changed")
	}
}

func TestHashtag(t *testing.T) {
	tests := map[string]string{
		"Kenya":                            "#Kenya",
		"United Kingdom":                   "#UnitedKingdom",
		"Côte d'Ivoire":                    "#CôteDIvoire",
		"Democratic Republic of the Congo": "#DemocraticRepublicOfTheCongo",
		"U.S. Virgin Islands":              "#USVirginIslands",
		"voter education":                  "#VoterEducation",
		"  ":                               "",
	}
	for in, want := range tests {
		if got := Hashtag(in); got != want {
			t.Errorf("Hashtag(%q) = %q, want %q", in, got, want)
		}
	}
}
