package tocsin

// Version is this release of Tocsin, numeric X.Y.Z (NodeInfo and Mastodon
// clients parse it).
const Version = "0.1.0"

// Software is the name Tocsin gives itself in NodeInfo and User-Agent.
const Software = "tocsin"
