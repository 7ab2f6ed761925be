package store

// Timelines, reactions and notifications for the Mastodon client API.
//
// Buckets (layouts; the accessors come with the client API work):
//   home_timeline          account ID + 0x00 + object Seq -> object IRI: what a
//                          local account's home timeline shows, written when an
//                          object is applied (fan-out on write)
//   public_timeline        object Seq -> object IRI: public, visible statuses
//   tag_timeline           lowercased tag + 0x00 + object Seq -> object IRI
//   favourites             account ID + 0x00 + object IRI -> Like activity IRI
//   favourites_by_object   object IRI + 0x00 + actor IRI -> Like activity IRI
//   reblogs_by_object      object IRI + 0x00 + actor IRI -> Announce activity IRI
//   bookmarks              account ID + 0x00 + object Seq -> object IRI
//   notifications          account ID + 0x00 + notification ULID -> JSON Notification
//   idempotency            account ID + 0x00 + Idempotency-Key -> status IRI + time
//   status_edits           object IRI + 0x00 + ULID -> JSON previous version

var (
	bucketHomeTimeline       = []byte("home_timeline")
	bucketPublicTimeline     = []byte("public_timeline")
	bucketTagTimeline        = []byte("tag_timeline")
	bucketFavourites         = []byte("favourites")
	bucketFavouritesByObject = []byte("favourites_by_object")
	bucketReblogsByObject    = []byte("reblogs_by_object")
	bucketBookmarks          = []byte("bookmarks")
	bucketNotifications      = []byte("notifications")
	bucketIdempotency        = []byte("idempotency")
	bucketStatusEdits        = []byte("status_edits")
)
