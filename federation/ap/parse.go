package ap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/go-fed/activity/streams"
)

// MaxDepth is how deeply Parse lets arrays and objects nest. Real payloads
// stay under 10 (a PeerTube Video's url tags); the limit is checked by a
// byte scan before any recursive decoding.
const MaxDepth = 32

// maxEmbed bounds how many embedded activities Parse follows
// (Announce(Update(Article)) is 3); deeper ones stay in Raw.
const maxEmbed = 4

// Reasons Parse refuses a document. The returned error wraps one of them
// (test with errors.Is) and says which document and field.
var (
	ErrMalformed = errors.New("malformed JSON")
	ErrTooDeep   = errors.New("JSON nested too deeply")
	ErrNotObject = errors.New("not a JSON object")
	ErrNoType    = errors.New("no type")
	ErrNoID      = errors.New("no id")
	ErrNoActor   = errors.New("no actor")
	ErrBadIRI    = errors.New("not an absolute http(s) URL")
	ErrRejected  = errors.New("rejected by go-fed streams")
)

// Parse decodes one inbound JSON-LD document: an activity, object or actor.
//
// It refuses JSON nested deeper than MaxDepth (before decoding), malformed
// JSON, a top level that is not an object, a document without "type", an
// activity without "id" or "actor", an actor without "id", an id or actor
// that is not an absolute http(s) URL, and a standard type that go-fed's
// streams cannot deserialise. Documents without @context are accepted with
// the ActivityStreams context assumed. Types go-fed does not know parse too
// (Document.Standard is then false).
//
// Text (name, summary, content and their maps, preferredUsername) is read
// from the raw JSON, never through go-fed. streams.ToType runs once per
// document, on the top level; it is the main cost (~150 µs for a Mastodon
// Create). Parse is safe for concurrent use.
func Parse(raw []byte) (*Document, error) {
	if err := checkDepth(raw, MaxDepth); err != nil {
		return nil, err
	}
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			return nil, fmt.Errorf("ap: %w", ErrMalformed)
		}
		return nil, fmt.Errorf("ap: %w: the top level must be {...}", ErrNotObject)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("ap: %w: %v", ErrMalformed, err)
	}
	if m == nil {
		return nil, fmt.Errorf("ap: %w", ErrMalformed)
	}

	ctx := newTermContext(m["@context"])
	typ := typeOf(m, ctx)
	if typ == "" {
		return nil, fmt.Errorf("ap: document has %w", ErrNoType)
	}
	kind := classify(typ, m)
	id := idOf(m["id"])
	switch {
	case id == "" && kind != KindObject:
		return nil, fmt.Errorf("ap: %s has %w", typ, ErrNoID)
	case id != "" && !absoluteURL(id):
		return nil, fmt.Errorf("ap: %s id %q: %w", typ, id, ErrBadIRI)
	}

	top := &rawFields{load: func() map[string]json.RawMessage { return decodeFields(raw) }}
	doc := &Document{Kind: kind, ctx: ctx}
	switch kind {
	case KindActivity:
		doc.Activity = parseActivity(m, typ, top, ctx, 0)
		if doc.Activity.Actor == "" {
			return nil, fmt.Errorf("ap: %s %s has %w", typ, id, ErrNoActor)
		}
		if !absoluteURL(doc.Activity.Actor) {
			return nil, fmt.Errorf("ap: %s %s actor %q: %w", typ, id, doc.Activity.Actor, ErrBadIRI)
		}
	case KindActor:
		doc.Actor = parseActor(m, typ, top, ctx)
	default:
		doc.Object = parseObject(m, typ, top, ctx)
	}

	standard, err := checkGoFed(m, typ)
	if err != nil {
		return nil, fmt.Errorf("ap: %s %s: %w: %v", typ, id, ErrRejected, err)
	}
	doc.Standard = standard
	return doc, nil
}

// checkGoFed runs streams.ToType on a shallow copy of the top level with the
// ActivityStreams context (ToType refuses documents without one, and
// Lemmy's have none). It reports whether go-fed knows the type, and an
// error only when it knows the type and still cannot deserialise it.
func checkGoFed(m map[string]any, typ string) (bool, error) {
	c := make(map[string]any, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	c["@context"] = ASContext
	c["type"] = typ
	_, err := streams.ToType(context.Background(), c)
	switch {
	case errors.Is(err, streams.ErrUnhandledType):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// checkDepth scans JSON text and fails when arrays and objects nest deeper
// than max. It does not validate the JSON; the decoder does that after.
func checkDepth(b []byte, max int) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > max {
				return fmt.Errorf("ap: %w: more than %d levels", ErrTooDeep, max)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// classify decides whether a document of type typ is an activity, an actor
// or an object. Types outside the vocabulary are judged by their shape: an
// actor and an object make an activity, an inbox makes an actor.
func classify(typ string, m map[string]any) Kind {
	switch {
	case activityTypes[typ]:
		return KindActivity
	case actorTypes[typ]:
		return KindActor
	case objectTypes[typ]:
		return KindObject
	}
	_, hasActor := m["actor"]
	_, hasObject := m["object"]
	_, hasInbox := m["inbox"]
	switch {
	case hasActor && hasObject:
		return KindActivity
	case hasInbox:
		return KindActor
	}
	return KindObject
}

func parseActivity(m map[string]any, typ string, fields *rawFields, ctx *termContext, depth int) *Activity {
	a := &Activity{
		ID:        idOf(m["id"]),
		Type:      typ,
		Actor:     actorOf(m["actor"]),
		Target:    idOf(m["target"]),
		To:        addresses(m["to"]),
		Cc:        addresses(m["cc"]),
		Audience:  addresses(m["audience"]),
		Published: timeOf(m["published"]),
		Content:   str(m["content"]),
		Summary:   str(m["summary"]),
		Tags:      tagsOf(m["tag"]),
		Raw:       m,
	}
	switch o := m["object"].(type) {
	case string:
		a.ObjectIRI = o
		a.Objects = []string{o}
	case map[string]any:
		a.embed(o, fields.child("object", -1), ctx, depth)
	case []any:
		for i, e := range o {
			if id := idOf(e); id != "" {
				a.Objects = append(a.Objects, id)
			}
			if em, ok := e.(map[string]any); ok && a.Object == nil && a.ObjectActivity == nil && a.ObjectActor == nil {
				a.embed(em, fields.child("object", i), ctx, depth)
			}
		}
		a.Objects = dedupe(a.Objects)
		if len(a.Objects) > 0 {
			a.ObjectIRI = a.Objects[0]
		}
	}
	return a
}

// embed parses an embedded object of a. One with only an id is a reference.
func (a *Activity) embed(o map[string]any, fields *rawFields, parent *termContext, depth int) {
	ctx := parent.extend(o["@context"])
	id := idOf(o["id"])
	if a.ObjectIRI == "" {
		a.ObjectIRI = id
	}
	if len(a.Objects) == 0 && id != "" {
		a.Objects = []string{id}
	}
	typ := typeOf(o, ctx)
	if typ == "" {
		return
	}
	switch classify(typ, o) {
	case KindActivity:
		if depth < maxEmbed {
			a.ObjectActivity = parseActivity(o, typ, fields, ctx, depth+1)
		}
	case KindActor:
		a.ObjectActor = parseActor(o, typ, fields, ctx)
	default:
		a.Object = parseObject(o, typ, fields, ctx)
	}
}

func parseObject(m map[string]any, typ string, fields *rawFields, ctx *termContext) *Object {
	return &Object{
		ID:           idOf(m["id"]),
		Type:         typ,
		AttributedTo: actorOf(m["attributedTo"]),
		InReplyTo:    idOf(m["inReplyTo"]),
		URL:          urlOf(m["url"], 0),
		Name:         str(m["name"]),
		Summary:      str(m["summary"]),
		Content:      str(m["content"]),
		ContentMap:   langMap(m["contentMap"]),
		NameMap:      langMap(m["nameMap"]),
		SummaryMap:   langMap(m["summaryMap"]),
		MediaType:    str(m["mediaType"]),
		Sensitive:    m["sensitive"] == true,
		To:           addresses(m["to"]),
		Cc:           addresses(m["cc"]),
		Audience:     addresses(m["audience"]),
		Published:    timeOf(m["published"]),
		Updated:      timeOf(m["updated"]),
		Tags:         tagsOf(m["tag"]),
		Attachments:  attachmentsOf(m["attachment"]),
		Extensions:   extensions(m, fields, ctx),
		Raw:          m,
		ctx:          ctx,
	}
}

func parseActor(m map[string]any, typ string, fields *rawFields, ctx *termContext) *Actor {
	id := idOf(m["id"])
	a := &Actor{
		ID:                        id,
		Type:                      typ,
		PreferredUsername:         str(m["preferredUsername"]),
		Name:                      str(m["name"]),
		Summary:                   str(m["summary"]),
		URL:                       urlOf(m["url"], 0),
		Inbox:                     idOf(m["inbox"]),
		Outbox:                    idOf(m["outbox"]),
		Followers:                 idOf(m["followers"]),
		Following:                 idOf(m["following"]),
		Featured:                  idOf(m["featured"]),
		IconURL:                   iconOf(m["icon"]),
		ManuallyApprovesFollowers: m["manuallyApprovesFollowers"] == true,
		Discoverable:              m["discoverable"] == true,
		PublicKey:                 publicKeyOf(m["publicKey"], id),
		AssertionMethod:           multikeysOf(id, m["assertionMethod"], m["authentication"]),
		Published:                 timeOf(m["published"]),
		Updated:                   timeOf(m["updated"]),
		AlsoKnownAs:               addresses(m["alsoKnownAs"]),
		MovedTo:                   idOf(m["movedTo"]),
		Tags:                      tagsOf(m["tag"]),
		Attachments:               attachmentsOf(m["attachment"]),
		Extensions:                extensions(m, fields, ctx),
		Raw:                       m,
		ctx:                       ctx,
	}
	if e, ok := m["endpoints"].(map[string]any); ok {
		a.SharedInbox = idOf(e["sharedInbox"])
	}
	if a.SharedInbox == "" { // Misskey also puts it at the top level
		a.SharedInbox = idOf(m["sharedInbox"])
	}
	return a
}

// extensions copies, verbatim, the members of m outside the known
// vocabularies. The raw members are decoded only when there is one.
func extensions(m map[string]any, fields *rawFields, ctx *termContext) map[string]json.RawMessage {
	var ext map[string]json.RawMessage
	for k, v := range m {
		if ctx.known(k) {
			continue
		}
		if ext == nil {
			ext = make(map[string]json.RawMessage)
		}
		if r, ok := fields.get()[k]; ok {
			ext[k] = r
		} else if b, err := json.Marshal(v); err == nil { // not reached: fields mirror m
			ext[k] = b
		}
	}
	return ext
}

// rawFields decodes the members of one JSON object on first use, so that
// only objects with extension properties pay for a second decoding.
type rawFields struct {
	load func() map[string]json.RawMessage
	m    map[string]json.RawMessage
	done bool
}

func (f *rawFields) get() map[string]json.RawMessage {
	if !f.done {
		f.done = true
		f.m = f.load()
	}
	return f.m
}

// child is the member key of f (element index of it when index >= 0).
func (f *rawFields) child(key string, index int) *rawFields {
	return &rawFields{load: func() map[string]json.RawMessage {
		msg := f.get()[key]
		if index >= 0 {
			var arr []json.RawMessage
			if json.Unmarshal(msg, &arr) != nil || index >= len(arr) {
				return nil
			}
			msg = arr[index]
		}
		return decodeFields(msg)
	}}
}

func decodeFields(b []byte) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
