package handlers

import (
	"fmt"
	"strings"
)

// webStrings holds every English string the public web pages and feeds
// show, keyed by a stable name, so that a translation is one more table.
// Templates read them with {{t "key"}} (or {{tf "key" args...}} for a
// format, {{label "severity" .Value}} for an enumeration's value).
var webStrings = map[string]string{
	"skip":             "Skip to main content",
	"nav.label":        "Main",
	"nav.home":         "Home",
	"nav.alerts":       "Alerts",
	"nav.notes":        "Good practice",
	"footer.powered":   "Powered by Tocsin, a federated alert network for electoral integrity.",
	"footer.follow":    "Follow this instance's organisations from Mastodon or any fediverse app.",
	"feeds.label":      "Feeds",
	"feed.atom":        "Atom feed",
	"feed.rss":         "RSS feed",
	"feed.alerts":      "Public alerts of %s",
	"feed.alertsOrg":   "Public alerts of %s on %s",
	"feed.filtered":    "Public alerts of %s (filtered)",
	"home.title":       "Home",
	"home.about":       "About this instance",
	"home.contact":     "Contact",
	"home.contactAcc":  "Contact account",
	"home.orgs":        "Organisations",
	"home.latest":      "Latest public alerts",
	"home.allAlerts":   "All public alerts",
	"home.notes":       "Latest good-practice notes",
	"home.allNotes":    "All good-practice notes",
	"home.peers":       "Peer networks",
	"home.noPeers":     "This instance does not peer with other networks yet.",
	"home.chart":       "Public alerts per week, by category",
	"home.chartDesc":   "Public alerts published in the last %d weeks, by week and category.",
	"home.chartTable":  "The numbers behind the chart",
	"home.week":        "Week of",
	"home.total":       "Total",
	"alerts.title":     "Public alerts",
	"alerts.intro":     "Threat alerts marked TLP:CLEAR, from this instance and its peers. Anyone may share them.",
	"alerts.none":      "No public alert matches.",
	"alerts.older":     "Older alerts",
	"alerts.newest":    "Newest alerts",
	"alerts.pages":     "Pages",
	"filter.legend":    "Filter alerts",
	"filter.country":   "Country",
	"filter.category":  "Category",
	"filter.severity":  "Severity",
	"filter.status":    "Status",
	"filter.origin":    "Origin",
	"filter.since":     "Published from",
	"filter.until":     "Published until",
	"filter.any":       "Any",
	"filter.apply":     "Apply filters",
	"filter.reset":     "Clear filters",
	"filter.invalid":   "Some filters could not be read:",
	"origin.local":     "This instance",
	"origin.peer":      "Peer networks",
	"alert.facts":      "Details",
	"alert.severity":   "Severity",
	"alert.confidence": "Confidence",
	"alert.category":   "Category",
	"alert.countries":  "Countries",
	"alert.areas":      "Areas",
	"alert.election":   "Election",
	"alert.tlp":        "Sharing",
	"alert.status":     "Status",
	"alert.published":  "Published",
	"alert.updated":    "Updated",
	"alert.expires":    "Expires",
	"alert.expired":    "Expired",
	"alert.by":         "Published by",
	"alert.sources":    "Sources",
	"alert.history":    "Status history",
	"alert.noHistory":  "Not edited since it was published.",
	"alert.when":       "When",
	"alert.who":        "By",
	"alert.changed":    "Changed",
	"alert.origin":     "Where it came from",
	"alert.originTxt":  "Received from the peer network %s.",
	"alert.original":   "Original post",
	"alert.author":     "Author",
	"alert.supersedes": "Replaces an earlier alert",
	"alert.tlpClear":   "TLP:CLEAR: no limit on disclosure. You may share this alert.",
	"tlp.CLEAR":        "TLP:CLEAR",
	"tlp.GREEN":        "TLP:GREEN",
	"tlp.AMBER":        "TLP:AMBER",
	"tlp.AMBER+STRICT": "TLP:AMBER+STRICT",
	"tlp.RED":          "TLP:RED",
	"notes.title":      "Good-practice notes",
	"notes.intro":      "What member networks learned and others can reuse.",
	"notes.none":       "No good-practice note yet.",
	"notes.older":      "Older notes",
	"note.topics":      "Topics",
	"note.countries":   "Countries",
	"note.general":     "General guidance",
	"profile.alerts":   "Latest public alerts",
	"profile.none":     "No public alert yet.",
	"profile.follow":   "Follow from Mastodon or any fediverse app: search for",
	"profile.org":      "Organisation",
	"profile.person":   "Person",
	"notfound.title":   "Page not found",
	"notfound.text":    "There is nothing here. The page may have moved, or it may not be public.",
	"notfound.home":    "Go to the home page",
	"badrequest.title": "Some filters could not be read",

	"severity.minor":    "Minor",
	"severity.moderate": "Moderate",
	"severity.severe":   "Severe",
	"severity.extreme":  "Extreme",

	"confidence.observed": "Observed",
	"confidence.likely":   "Likely",
	"confidence.possible": "Possible",
	"confidence.unlikely": "Unlikely",

	"status.active":    "Active",
	"status.updated":   "Updated",
	"status.resolved":  "Resolved",
	"status.retracted": "Retracted",

	"category.disinformation":         "Disinformation",
	"category.cyber-incident":         "Cyber incident",
	"category.violence-intimidation":  "Violence and intimidation",
	"category.legal-obstruction":      "Legal obstruction",
	"category.voter-suppression":      "Voter suppression",
	"category.vote-buying":            "Vote buying",
	"category.administration-failure": "Administration failure",
	"category.online-harassment":      "Online harassment",
	"category.foreign-interference":   "Foreign interference",
	"category.other":                  "Other",

	"field.title":        "title",
	"field.body":         "text",
	"field.severity":     "severity",
	"field.confidence":   "confidence",
	"field.category":     "category",
	"field.countries":    "countries",
	"field.subdivisions": "areas",
	"field.election":     "election",
	"field.tlp":          "sharing (TLP)",
	"field.circle":       "circle",
	"field.recipients":   "recipients",
	"field.status":       "status",
	"field.expires":      "expiry",
	"field.sources":      "sources",
	"field.language":     "language",
}

// tr returns the string for key, or the key itself when it is missing (a
// missing string shows up on the page instead of failing the render).
func tr(key string) string {
	if s, ok := webStrings[key]; ok {
		return s
	}
	return key
}

// trf formats the string for key with args.
func trf(key string, args ...any) string { return fmt.Sprintf(tr(key), args...) }

// label returns the display text of an enumeration value ("severity",
// "severe"), falling back to the value itself for one we do not know (a
// peer's newer taxonomy).
func label(kind string, v any) string {
	val := fmt.Sprint(v)
	if s, ok := webStrings[kind+"."+val]; ok {
		return s
	}
	if kind == "field" && strings.HasPrefix(val, "election.") {
		return tr("field.election")
	}
	return val
}
