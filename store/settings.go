package store

// Per-account client settings for the Mastodon client API.
//
// Buckets (the accessors come with the client API work):
//   markers            account ID + 0x00 + timeline ("home", "notifications") -> JSON Marker
//   account_settings   account ID -> JSON settings (default posting visibility,
//                      language, sensitive media...)

var (
	bucketMarkers         = []byte("markers")
	bucketAccountSettings = []byte("account_settings")
)
