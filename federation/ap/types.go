package ap

import (
	"encoding/json"
	"strings"
	"time"
)

// Kind says which of Activity, Object or Actor a Document holds.
type Kind uint8

const (
	KindObject Kind = iota + 1
	KindActivity
	KindActor
)

func (k Kind) String() string {
	switch k {
	case KindObject:
		return "object"
	case KindActivity:
		return "activity"
	case KindActor:
		return "actor"
	}
	return "unknown"
}

// Document is one parsed inbound JSON-LD document. Exactly one of Activity,
// Object and Actor is set, as Kind says. The Raw maps throughout are the
// decoded JSON, shared between a document and its embedded parts: treat
// them as read-only.
type Document struct {
	Kind     Kind
	Activity *Activity
	Object   *Object
	Actor    *Actor

	// Standard reports that go-fed's streams knows the top-level type, so a
	// strict go-fed peer would accept the document too. It is false for
	// types outside its vocabulary (Pleroma's EmojiReact, Pixelfed's Story,
	// Lemmy's ChatMessage...), which still parse, with Type kept, for the
	// caller to store or ignore.
	Standard bool

	ctx *termContext
}

// ID is the top-level document's id.
func (d *Document) ID() string {
	switch d.Kind {
	case KindActivity:
		return d.Activity.ID
	case KindActor:
		return d.Actor.ID
	case KindObject:
		return d.Object.ID
	}
	return ""
}

// Type is the top-level document's type ("Create", "Note", "Person"...).
func (d *Document) Type() string {
	switch d.Kind {
	case KindActivity:
		return d.Activity.Type
	case KindActor:
		return d.Actor.Type
	case KindObject:
		return d.Object.Type
	}
	return ""
}

// Raw is the whole decoded document.
func (d *Document) Raw() map[string]any {
	switch d.Kind {
	case KindActivity:
		return d.Activity.Raw
	case KindActor:
		return d.Actor.Raw
	case KindObject:
		return d.Object.Raw
	}
	return nil
}

// Expand expands a property name with the document's @context, as
// ExpandTerm does.
func (d *Document) Expand(key string) string {
	if d.ctx == nil {
		return ExpandTerm(d.Raw(), key)
	}
	return d.ctx.expand(key)
}

// Activity is an activity: Create, Follow, Flag, Undo... and the
// non-standard ones (EmojiReact).
type Activity struct {
	ID, Type string
	Actor    string // the actor's id, even when sent embedded or as an array

	// ObjectIRI is the object's id, whether sent by reference or embedded
	// (empty for an embedded object without id). Objects lists every
	// object id in order: a Flag reports an account and several posts.
	ObjectIRI string
	Objects   []string
	// At most one of these is set, when the object came embedded with a
	// type: an object (Create's Note, Delete's Tombstone), an activity
	// (Undo/Accept of a Follow, Announce of a Create) or an actor (Update
	// of a Person).
	Object         *Object
	ObjectActivity *Activity
	ObjectActor    *Actor

	Target           string // Move: the new account; Add/Remove: the collection
	To, Cc, Audience []string
	Published        time.Time
	// Content is a Flag's comment (Mastodon) or a reaction (EmojiReact,
	// Misskey's Like); Summary is a Flag's comment as Lemmy sends it.
	Content, Summary string
	Tags             []Tag // custom emoji of a reaction

	Raw map[string]any
}

// Object is a non-actor object: Note, Article, Page, Question, Tombstone,
// Video, Event, or a type of a peer's own (ChatMessage, Story).
type Object struct {
	ID, Type     string
	AttributedTo string // the author's id (the first actor when several are given)
	InReplyTo    string
	URL          string // the HTML page when the peer gives several links

	// Text, exactly as sent (never through go-fed, which mangles it).
	Name, Summary, Content string
	ContentMap, NameMap    map[string]string
	SummaryMap             map[string]string
	MediaType              string // of content, as sent; empty means text/html
	Sensitive              bool
	To, Cc, Audience       []string
	Published, Updated     time.Time
	Tags                   []Tag
	Attachments            []Attachment

	// Extensions holds the properties outside the ActivityStreams, Mastodon
	// and security vocabularies, verbatim, under the key the peer used.
	// Read Tocsin's with ExtensionsIn(TocsinNS).
	Extensions map[string]json.RawMessage

	Raw map[string]any
	ctx *termContext
}

// Actor is an actor: Person, Organization, Group, Application, Service.
type Actor struct {
	ID, Type                              string
	PreferredUsername, Name, Summary, URL string
	Inbox, SharedInbox, Outbox            string
	Followers, Following, Featured        string
	IconURL                               string
	ManuallyApprovesFollowers             bool
	Discoverable                          bool
	// PublicKey is the first key whose owner is this actor; empty when the
	// document has none (the caller then cannot verify its signatures).
	PublicKey PublicKey
	// AssertionMethod lists the Multikeys (FEP-521a) the actor signs
	// objects with (FEP-8b32 proofs), from assertionMethod and, as early
	// implementations and the FEP test vector put them, authentication.
	AssertionMethod    []Multikey
	Published, Updated time.Time
	AlsoKnownAs        []string
	MovedTo            string
	Tags               []Tag        // custom emoji in name and summary
	Attachments        []Attachment // profile fields (PropertyValue)
	Extensions         map[string]json.RawMessage

	Raw map[string]any
	ctx *termContext
}

// PublicKey is an actor's signing key. PEM is kept as sent: some servers
// put spaces where the newlines go.
type PublicKey struct {
	ID, Owner, PEM string
}

// Multikey is a verification method as FEP-521a publishes it: an id
// (actor#fragment), its controller (the actor) and the key in multibase.
type Multikey struct {
	ID, Controller, PublicKeyMultibase string
}

// Tag is a Mention, Hashtag or Emoji.
type Tag struct {
	Type, Name, Href string
	ID               string // Emoji: its id
	IconURL          string // Emoji: its image
}

// Attachment is a media attachment, a Link, or a profile field.
type Attachment struct {
	Type, MediaType, URL, Name string
	Blurhash                   string
	Width, Height              int
	Value                      string // PropertyValue: the field's value (HTML)
}

// ExtensionsIn returns the extension properties whose names expand, with
// the document's @context, into namespace ns, keyed by the rest of the IRI:
// ExtensionsIn(TocsinNS)["severity"] whether the peer wrote "tocsin:severity",
// "x:severity" or a plain "severity" defined in its context.
func (o *Object) ExtensionsIn(ns string) map[string]json.RawMessage {
	return extensionsIn(o.Extensions, o.ctx, o.Raw, ns)
}

// ExtensionsIn is Object.ExtensionsIn for actors.
func (a *Actor) ExtensionsIn(ns string) map[string]json.RawMessage {
	return extensionsIn(a.Extensions, a.ctx, a.Raw, ns)
}

func extensionsIn(ext map[string]json.RawMessage, ctx *termContext, raw map[string]any, ns string) map[string]json.RawMessage {
	if len(ext) == 0 {
		return nil
	}
	if ctx == nil {
		ctx = newTermContext(raw["@context"])
	}
	var out map[string]json.RawMessage
	for k, v := range ext {
		if local, ok := strings.CutPrefix(ctx.expand(k), ns); ok && local != "" {
			if out == nil {
				out = make(map[string]json.RawMessage)
			}
			out[local] = v
		}
	}
	return out
}
