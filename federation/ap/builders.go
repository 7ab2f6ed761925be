package ap

import "time"

// Builders for the activities and collections the federation core sends.
// Each returns a map for Marshal; empty strings and zero times are left
// out. Objects may be an IRI (string) or an embedded map.

// NewFollow is a Follow of object (an actor IRI) by actor.
func NewFollow(id, actor, object string) map[string]any {
	return compact(map[string]any{"id": id, "type": "Follow", "actor": actor, "object": object})
}

// NewAccept accepts object (usually the Follow, embedded or by IRI).
func NewAccept(id, actor string, object any) map[string]any {
	return compact(map[string]any{"id": id, "type": "Accept", "actor": actor, "object": object})
}

// NewReject rejects object (usually a Follow).
func NewReject(id, actor string, object any) map[string]any {
	return compact(map[string]any{"id": id, "type": "Reject", "actor": actor, "object": object})
}

// NewUndo undoes object (a Follow, Like or Announce, embedded: Mastodon
// cannot fetch ours back to check).
func NewUndo(id, actor string, object any) map[string]any {
	return compact(map[string]any{"id": id, "type": "Undo", "actor": actor, "object": object})
}

// NewCreate wraps obj in a Create addressed to to and cc. obj is copied, and
// the copy gets the same to and cc when it has none (Mastodon decides an
// object's visibility from the object's own addressing).
func NewCreate(id, actor string, obj map[string]any, to, cc []string, published time.Time) map[string]any {
	return wrap("Create", id, actor, obj, to, cc, published)
}

// NewUpdate is NewCreate for an Update (an edited alert, a changed profile).
func NewUpdate(id, actor string, obj map[string]any, to, cc []string, updated time.Time) map[string]any {
	return wrap("Update", id, actor, obj, to, cc, updated)
}

func wrap(typ, id, actor string, obj map[string]any, to, cc []string, at time.Time) map[string]any {
	o := make(map[string]any, len(obj)+2)
	for k, v := range obj {
		o[k] = v
	}
	if _, ok := o["to"]; !ok {
		o["to"] = to
	}
	if _, ok := o["cc"]; !ok {
		o["cc"] = cc
	}
	return compact(map[string]any{
		"id": id, "type": typ, "actor": actor, "object": o,
		"to": nonNil(to), "cc": nonNil(cc), "published": at,
	})
}

// NewDelete deletes object: a Tombstone (see Tombstone) or an IRI.
func NewDelete(id, actor string, object any, to, cc []string) map[string]any {
	return compact(map[string]any{
		"id": id, "type": "Delete", "actor": actor, "object": object,
		"to": nonNil(to), "cc": nonNil(cc),
	})
}

// NewAnnounce boosts object (an IRI).
func NewAnnounce(id, actor, object string, to, cc []string, published time.Time) map[string]any {
	return compact(map[string]any{
		"id": id, "type": "Announce", "actor": actor, "object": object,
		"to": nonNil(to), "cc": nonNil(cc), "published": published,
	})
}

// NewLike likes object (an IRI).
func NewLike(id, actor, object string) map[string]any {
	return compact(map[string]any{"id": id, "type": "Like", "actor": actor, "object": object})
}

// NewFlag reports objects (the account first, then its posts, as Mastodon
// sends them) with a comment, addressed to the origin's actor in to.
func NewFlag(id, actor string, objects []string, content string, to []string) map[string]any {
	return compact(map[string]any{
		"id": id, "type": "Flag", "actor": actor, "object": nonNil(objects),
		"content": content, "to": nonNil(to),
	})
}

// Tombstone is what a deleted object becomes.
func Tombstone(id string, deleted time.Time, formerType string) map[string]any {
	return compact(map[string]any{"id": id, "type": "Tombstone", "formerType": formerType, "deleted": deleted})
}

// OrderedCollection is a paged collection's head (outbox, followers).
func OrderedCollection(id string, total int, first string) map[string]any {
	return compact(map[string]any{"id": id, "type": "OrderedCollection", "totalItems": total, "first": first})
}

// OrderedCollectionPage is one page; items are IRIs or embedded maps.
func OrderedCollectionPage(id, partOf, next, prev string, items []any) map[string]any {
	if items == nil {
		items = []any{}
	}
	return compact(map[string]any{
		"id": id, "type": "OrderedCollectionPage", "partOf": partOf,
		"next": next, "prev": prev, "orderedItems": items,
	})
}

// compact drops empty strings and zero times.
func compact(m map[string]any) map[string]any {
	for k, v := range m {
		switch x := v.(type) {
		case string:
			if x == "" {
				delete(m, k)
			}
		case time.Time:
			if x.IsZero() {
				delete(m, k)
			}
		case nil:
			delete(m, k)
		}
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
