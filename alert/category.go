package alert

import (
	"strings"
	"unicode"

	tocsin "github.com/tocsin-network/tocsin"
)

// Category is the kind of threat, from a small fixed taxonomy documented in
// FEDERATION.md. The value is the slug, which is stable: labels may be
// reworded, slugs never change.
type Category string

// The taxonomy.
const (
	CategoryDisinformation        Category = "disinformation"
	CategoryCyberIncident         Category = "cyber-incident"
	CategoryViolenceIntimidation  Category = "violence-intimidation"
	CategoryLegalObstruction      Category = "legal-obstruction"
	CategoryVoterSuppression      Category = "voter-suppression"
	CategoryVoteBuying            Category = "vote-buying"
	CategoryAdministrationFailure Category = "administration-failure"
	CategoryOnlineHarassment      Category = "online-harassment"
	CategoryForeignInterference   Category = "foreign-interference"
	CategoryOther                 Category = "other"
)

// CategoryInfo describes one category for people.
type CategoryInfo struct {
	Slug        Category
	Label       string // short English label, used in headlines: "Disinformation"
	Description string // what it covers: "Disinformation and information manipulation"
	Hashtag     string // CamelCase, with "#": "#Disinformation"
}

var categories = []CategoryInfo{
	{CategoryDisinformation, "Disinformation", "Disinformation and information manipulation", "#Disinformation"},
	{CategoryCyberIncident, "Cyber incident", "Cyber incident against election systems, bodies, candidates or observers", "#CyberIncident"},
	{CategoryViolenceIntimidation, "Violence and intimidation", "Violence and intimidation against voters, candidates, officials or observers", "#ViolenceIntimidation"},
	{CategoryLegalObstruction, "Legal obstruction", "Legal and administrative obstruction", "#LegalObstruction"},
	{CategoryVoterSuppression, "Voter suppression", "Voter suppression", "#VoterSuppression"},
	{CategoryVoteBuying, "Vote buying", "Vote buying and misuse of state resources", "#VoteBuying"},
	{CategoryAdministrationFailure, "Administration failure", "Election administration failure", "#AdministrationFailure"},
	{CategoryOnlineHarassment, "Online harassment", "Online harassment and hate speech", "#OnlineHarassment"},
	{CategoryForeignInterference, "Foreign interference", "Foreign interference", "#ForeignInterference"},
	// #Other would be a useless tag to follow; other threats carry the
	// network's own tag instead.
	{CategoryOther, "Other", "Other threats to electoral integrity", "#ElectionIntegrity"},
}

// Categories returns the taxonomy in its documented order. The slice is a copy.
func Categories() []CategoryInfo { return append([]CategoryInfo(nil), categories...) }

// Info returns the description of c; ok is false for a value not in the taxonomy.
func (c Category) Info() (info CategoryInfo, ok bool) {
	for _, ci := range categories {
		if ci.Slug == c {
			return ci, true
		}
	}
	return CategoryInfo{}, false
}

// Valid reports whether c is in the taxonomy.
func (c Category) Valid() bool { _, ok := c.Info(); return ok }

// Label returns the short English label ("Cyber incident"), or the raw value
// for a category not in the taxonomy.
func (c Category) Label() string {
	if ci, ok := c.Info(); ok {
		return ci.Label
	}
	return string(c)
}

// Hashtag returns the category's hashtag with its "#" ("#CyberIncident"), or
// "" for a category not in the taxonomy.
func (c Category) Hashtag() string {
	ci, _ := c.Info()
	return ci.Hashtag
}

// ParseCategory reads a category from user input: its slug, label,
// description or hashtag, with or without "#", in any case, with any
// spacing or punctuation ("cyber-incident", "Cyber incident",
// "#CyberIncident", "cyber_incident").
func ParseCategory(in string) (Category, error) {
	key := squash(in)
	if key != "" {
		for _, ci := range categories {
			if key == squash(string(ci.Slug)) || key == squash(ci.Label) ||
				key == squash(ci.Description) || key == squash(ci.Hashtag) {
				return ci.Slug, nil
			}
		}
	}
	slugs := make([]Category, len(categories))
	for i, ci := range categories {
		slugs[i] = ci.Slug
	}
	return "", tocsin.Errorf(tocsin.EINVALID, "unknown category %q: want %s", in, orList(slugs))
}

// squash keeps only letters and digits, lower-cased.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// Hashtag turns words into a CamelCase hashtag with its "#": "United
// Kingdom" gives "#UnitedKingdom", "Côte d'Ivoire" gives "#CôteDIvoire".
// Anything but letters and digits separates words. It returns "" when words
// hold no letter or digit.
func Hashtag(words string) string {
	var b strings.Builder
	upper := true
	for _, r := range words {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if b.Len() == 0 {
			b.WriteByte('#')
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
