package ap

// Namespaces and addresses of the vocabularies Tocsin reads and writes.
const (
	// TocsinNS is the namespace of Tocsin's extension terms (severity,
	// category, countries, TLP...). It is independent of any instance host.
	TocsinNS = "https://w3id.org/tocsin/ns#"
	// ASNS is the ActivityStreams namespace.
	ASNS = "https://www.w3.org/ns/activitystreams#"
	// ASContext is the ActivityStreams JSON-LD context document.
	ASContext = "https://www.w3.org/ns/activitystreams"
	// SecurityContext is the security vocabulary context (publicKey).
	SecurityContext = "https://w3id.org/security/v1"
	// DataIntegrityContext defines proof and DataIntegrityProof (FEP-8b32).
	DataIntegrityContext = "https://w3id.org/security/data-integrity/v1"
	// MultikeyContext defines Multikey, controller and publicKeyMultibase
	// (FEP-521a), used by assertionMethod keys.
	MultikeyContext = "https://w3id.org/security/multikey/v1"
	// SecurityNS is the namespace its terms expand to.
	SecurityNS = "https://w3id.org/security#"
	// TootNS is Mastodon's namespace (discoverable, featured, Emoji...).
	TootNS = "http://joinmastodon.org/ns#"
	// OStatusNS holds Mastodon's legacy terms (atomUri, conversation).
	OStatusNS = "http://ostatus.org#"
	// SchemaNS is schema.org as Mastodon declares it (PropertyValue, value).
	SchemaNS = "http://schema.org#"

	// PublicIRI is the special collection that addresses everyone.
	PublicIRI = "https://www.w3.org/ns/activitystreams#Public"
)

// IsPublic reports whether addr is the public collection in any spelling
// peers use: the full IRI (https or http), "as:Public" or "Public".
func IsPublic(addr string) bool {
	switch addr {
	case PublicIRI, "http://www.w3.org/ns/activitystreams#Public", "as:Public", "Public":
		return true
	}
	return false
}

// activityTypes are the ActivityStreams activity types, plus the
// non-standard ones peers send as activities (Pleroma's EmojiReact).
var activityTypes = set(
	"Accept", "Activity", "Add", "Announce", "Arrive", "Block", "Create",
	"Delete", "Dislike", "Flag", "Follow", "Ignore", "IntransitiveActivity",
	"Invite", "Join", "Leave", "Like", "Listen", "Move", "Offer", "Read",
	"Reject", "Remove", "TentativeAccept", "TentativeReject", "Travel",
	"Undo", "Update", "View", "EmojiReact",
)

// actorTypes are the ActivityStreams actor types.
var actorTypes = set("Application", "Group", "Organization", "Person", "Service")

// objectTypes are the ActivityStreams and Mastodon object and link types.
// Question is an activity in ActivityStreams but every server treats it as
// an object (a poll).
var objectTypes = set(
	"Article", "Audio", "Collection", "CollectionPage", "Document", "Event",
	"Image", "Link", "Mention", "Note", "Object", "OrderedCollection",
	"OrderedCollectionPage", "Page", "Place", "Profile", "Question",
	"Relationship", "Tombstone", "Video", "Hashtag", "Emoji", "PropertyValue",
)

// Vocabulary terms Tocsin understands without an inline definition. A
// property whose name expands to one of these IRIs is "known"; anything else
// goes to Extensions.
var (
	asTerms = []string{
		// Core and extended properties.
		"accuracy", "actor", "altitude", "anyOf", "attachment", "attributedTo",
		"audience", "bcc", "bto", "cc", "closed", "content", "contentMap",
		"context", "current", "deleted", "describes", "duration", "endTime",
		"first", "formerType", "generator", "height", "href", "hreflang", "icon",
		"image", "inReplyTo", "instrument", "items", "last", "latitude",
		"location", "longitude", "mediaType", "name", "nameMap", "next",
		"object", "oneOf", "orderedItems", "origin", "partOf", "prev",
		"preview", "published", "radius", "rel", "relationship", "replies",
		"result", "startIndex", "startTime", "subject", "summary",
		"summaryMap", "tag", "target", "to", "totalItems", "units", "updated",
		"url", "width",
		// Actor properties (ActivityPub).
		"endpoints", "followers", "following", "inbox", "liked", "likes",
		"oauthAuthorizationEndpoint", "oauthTokenEndpoint", "outbox",
		"preferredUsername", "preferredUsernameMap", "provideClientKey",
		"proxyUrl", "sharedInbox", "shares", "signClientKey", "source",
		"streams", "uploadMedia",
		// as: extensions every server uses.
		"Hashtag", "alsoKnownAs", "manuallyApprovesFollowers", "movedTo",
		"sensitive",
	}
	tootTerms = []string{
		"Emoji", "IdentityProof", "attributionDomains", "blurhash", "devices",
		"discoverable", "featured", "featuredTags", "focalPoint", "indexable",
		"memorial", "suspended", "votersCount",
	}
	ostatusTerms  = []string{"atomUri", "conversation", "inReplyToAtomUri"}
	securityTerms = []string{
		"assertionMethod", "authentication", "controller", "created",
		"creator", "cryptosuite", "nonce", "owner", "proof", "proofPurpose",
		"proofValue", "publicKey", "publicKeyMultibase", "publicKeyPem",
		"signature", "signatureValue", "verificationMethod",
	}
	schemaTerms = []string{"PropertyValue", "value"}
)

// knownTerms maps a bare term to its IRI when no inline context defines it;
// knownIRIs is the set of those IRIs.
var knownTerms, knownIRIs = func() (map[string]string, map[string]bool) {
	terms := map[string]string{"id": "@id", "type": "@type"}
	iris := map[string]bool{}
	add := func(ns string, names []string) {
		for _, n := range names {
			terms[n] = ns + n
			iris[ns+n] = true
		}
	}
	add(ASNS, asTerms)
	add(TootNS, tootTerms)
	add(OStatusNS, ostatusTerms)
	add(SecurityNS, securityTerms)
	add(SchemaNS, schemaTerms)
	return terms, iris
}()

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}
