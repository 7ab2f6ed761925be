package handlers

// webRoutes registers the public web pages, feeds and assets. Alert, note
// and profile pages are also served at the ActivityPub ids (object and
// actor handlers hand browsers over to them).
func (s *Server) webRoutes() {
	e := s.e
	e.GET("/assets/*", serveAsset())
	if s.pub != nil {
		e.GET("/", s.webHome)
		e.GET("/alerts", s.webAlerts)
		e.GET("/alerts.atom", s.alertsFeed(feedAtom))
		e.GET("/alerts.rss", s.alertsFeed(feedRSS))
		e.GET("/alerts/:id", s.webPeerAlert)
		e.GET("/notes", s.webNotes)
		e.GET("/notes/:id", s.webPeerNote)
		e.GET("/users/:username/alerts.atom", s.orgFeed(feedAtom))
		e.GET("/users/:username/alerts.rss", s.orgFeed(feedRSS))
	}
	// Browsers get an HTML 404 for any path no route claims.
	e.RouteNotFound("/*", s.webNotFound)
}
