package ap

import (
	"fmt"
	"net/url"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// ActorInfo is what ActorDocument needs to describe one of our actors.
type ActorInfo struct {
	ID   string
	Type string // "Person", "Organization" or "Application"

	PreferredUsername string
	Name              string
	Summary           string // HTML
	URL               string // the profile page

	Inbox, Outbox, Followers, Following, SharedInbox, Featured string

	IconURL, IconMediaType string

	ManuallyApprovesFollowers, Discoverable bool
	Published                               time.Time

	KeyID        string // defaults to ID + "#main-key"
	PublicKeyPEM string
	// AssertionMethod lists the Ed25519 keys that sign the actor's objects
	// (FEP-8b32 proofs), published as FEP-521a Multikeys.
	AssertionMethod []Multikey

	TrustList string // the instance actor's published trust list (tocsin:trustList)
}

// ActorContext is the @context of an actor document that lists
// assertionMethod keys: Context with the data-integrity and Multikey
// contexts after the security context and before our inline map (which
// redefines none of their terms), as FEP-521a's examples have them.
func ActorContext() []any {
	c := Context()
	return append(c[:2:2], DataIntegrityContext, MultikeyContext, c[2])
}

// actorType is what go-fed's Person, Organization and Application share.
type actorType interface {
	vocab.Type
	SetJSONLDId(vocab.JSONLDIdProperty)
	SetActivityStreamsPreferredUsername(vocab.ActivityStreamsPreferredUsernameProperty)
	SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
	SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
	SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
	SetActivityStreamsInbox(vocab.ActivityStreamsInboxProperty)
	SetActivityStreamsOutbox(vocab.ActivityStreamsOutboxProperty)
	SetActivityStreamsFollowers(vocab.ActivityStreamsFollowersProperty)
	SetActivityStreamsFollowing(vocab.ActivityStreamsFollowingProperty)
	SetActivityStreamsIcon(vocab.ActivityStreamsIconProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	SetTootFeatured(vocab.TootFeaturedProperty)
	SetTootDiscoverable(vocab.TootDiscoverableProperty)
	SetW3IDSecurityV1PublicKey(vocab.W3IDSecurityV1PublicKeyProperty)
}

// ActorDocument builds the AS2 JSON of one of our actors with go-fed's
// streams, then adds what go-fed v1.0.0 lacks (endpoints.sharedInbox,
// manuallyApprovesFollowers) and replaces go-fed's @context with ours. ID
// and Inbox must be absolute URLs and Type one of Person, Organization,
// Application. Each call builds a fresh go-fed value: safe for concurrent
// use.
func ActorDocument(a ActorInfo) ([]byte, error) {
	var t actorType
	switch a.Type {
	case "Person":
		t = streams.NewActivityStreamsPerson()
	case "Organization":
		t = streams.NewActivityStreamsOrganization()
	case "Application":
		t = streams.NewActivityStreamsApplication()
	default:
		return nil, fmt.Errorf("ap: actor %s: type %q is not Person, Organization or Application", a.ID, a.Type)
	}
	iris := map[string]*url.URL{}
	for _, f := range []struct {
		name, value string
		required    bool
	}{
		{"id", a.ID, true}, {"inbox", a.Inbox, true}, {"outbox", a.Outbox, false},
		{"followers", a.Followers, false}, {"following", a.Following, false},
		{"featured", a.Featured, false}, {"url", a.URL, false}, {"icon", a.IconURL, false},
		{"sharedInbox", a.SharedInbox, false},
	} {
		if f.value == "" {
			if f.required {
				return nil, fmt.Errorf("ap: actor %s: %s is required", a.ID, f.name)
			}
			continue
		}
		u, err := url.Parse(f.value)
		if err != nil || !absoluteURL(f.value) {
			return nil, fmt.Errorf("ap: actor %s: %s %q: %w", a.ID, f.name, f.value, ErrBadIRI)
		}
		iris[f.name] = u
	}

	id := streams.NewJSONLDIdProperty()
	id.Set(iris["id"])
	t.SetJSONLDId(id)
	inbox := streams.NewActivityStreamsInboxProperty()
	inbox.SetIRI(iris["inbox"])
	t.SetActivityStreamsInbox(inbox)
	if u := iris["outbox"]; u != nil {
		p := streams.NewActivityStreamsOutboxProperty()
		p.SetIRI(u)
		t.SetActivityStreamsOutbox(p)
	}
	if u := iris["followers"]; u != nil {
		p := streams.NewActivityStreamsFollowersProperty()
		p.SetIRI(u)
		t.SetActivityStreamsFollowers(p)
	}
	if u := iris["following"]; u != nil {
		p := streams.NewActivityStreamsFollowingProperty()
		p.SetIRI(u)
		t.SetActivityStreamsFollowing(p)
	}
	if u := iris["featured"]; u != nil {
		p := streams.NewTootFeaturedProperty()
		p.SetIRI(u)
		t.SetTootFeatured(p)
	}
	if u := iris["url"]; u != nil {
		p := streams.NewActivityStreamsUrlProperty()
		p.AppendIRI(u)
		t.SetActivityStreamsUrl(p)
	}
	if u := iris["icon"]; u != nil {
		img := streams.NewActivityStreamsImage()
		iu := streams.NewActivityStreamsUrlProperty()
		iu.AppendIRI(u)
		img.SetActivityStreamsUrl(iu)
		if a.IconMediaType != "" {
			mt := streams.NewActivityStreamsMediaTypeProperty()
			mt.Set(a.IconMediaType)
			img.SetActivityStreamsMediaType(mt)
		}
		p := streams.NewActivityStreamsIconProperty()
		p.AppendActivityStreamsImage(img)
		t.SetActivityStreamsIcon(p)
	}
	if a.PreferredUsername != "" {
		p := streams.NewActivityStreamsPreferredUsernameProperty()
		p.SetXMLSchemaString(a.PreferredUsername)
		t.SetActivityStreamsPreferredUsername(p)
	}
	if a.Name != "" {
		p := streams.NewActivityStreamsNameProperty()
		p.AppendXMLSchemaString(a.Name)
		t.SetActivityStreamsName(p)
	}
	if a.Summary != "" {
		p := streams.NewActivityStreamsSummaryProperty()
		p.AppendXMLSchemaString(a.Summary)
		t.SetActivityStreamsSummary(p)
	}
	if !a.Published.IsZero() {
		p := streams.NewActivityStreamsPublishedProperty()
		p.Set(a.Published.UTC().Truncate(time.Second))
		t.SetActivityStreamsPublished(p)
	}
	disc := streams.NewTootDiscoverableProperty()
	disc.Set(a.Discoverable)
	t.SetTootDiscoverable(disc)
	if a.PublicKeyPEM != "" {
		keyID := a.KeyID
		if keyID == "" {
			keyID = a.ID + "#main-key"
		}
		ku, err := url.Parse(keyID)
		if err != nil || !absoluteURL(keyID) {
			return nil, fmt.Errorf("ap: actor %s: key id %q: %w", a.ID, keyID, ErrBadIRI)
		}
		key := streams.NewW3IDSecurityV1PublicKey()
		kid := streams.NewJSONLDIdProperty()
		kid.Set(ku)
		key.SetJSONLDId(kid)
		owner := streams.NewW3IDSecurityV1OwnerProperty()
		owner.Set(iris["id"])
		key.SetW3IDSecurityV1Owner(owner)
		pem := streams.NewW3IDSecurityV1PublicKeyPemProperty()
		pem.Set(a.PublicKeyPEM)
		key.SetW3IDSecurityV1PublicKeyPem(pem)
		p := streams.NewW3IDSecurityV1PublicKeyProperty()
		p.AppendW3IDSecurityV1PublicKey(key)
		t.SetW3IDSecurityV1PublicKey(p)
	}

	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("ap: actor %s: go-fed serialize: %w", a.ID, err)
	}
	// go-fed v1.0.0 has no vocabulary for these.
	m["manuallyApprovesFollowers"] = a.ManuallyApprovesFollowers
	if a.SharedInbox != "" {
		m["endpoints"] = map[string]any{"sharedInbox": a.SharedInbox}
	}
	if a.TrustList != "" {
		m["tocsin:trustList"] = a.TrustList
	}
	context := Context()
	if len(a.AssertionMethod) > 0 {
		methods := make([]any, len(a.AssertionMethod))
		for i, k := range a.AssertionMethod {
			methods[i] = map[string]any{"id": k.ID, "type": "Multikey", "controller": k.Controller, "publicKeyMultibase": k.PublicKeyMultibase}
		}
		m["assertionMethod"] = methods
		context = ActorContext()
	}
	// Text goes in as we have it: go-fed writes strings faithfully, but this
	// keeps the guarantee independent of its version.
	for k, v := range map[string]string{"preferredUsername": a.PreferredUsername, "name": a.Name, "summary": a.Summary} {
		if v != "" {
			m[k] = v
		}
	}
	// Mastodon always sends a summary, empty or not; some clients expect it.
	if _, ok := m["summary"]; !ok {
		m["summary"] = ""
	}
	return marshal(m, context)
}
