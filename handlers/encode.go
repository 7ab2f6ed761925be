package handlers

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// jsonAs writes v as JSON with the given content type (echo's c.JSON always
// says application/json, which ActivityPub and WebFinger peers check).
func jsonAs(c echo.Context, status int, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, contentType, b)
}

// activityContentType is what we answer ActivityPub requests with.
const activityContentType = "application/activity+json; charset=utf-8"

// wantsActivityJSON reports whether the Accept header asks for ActivityPub
// JSON (application/activity+json, application/ld+json with or without the
// ActivityStreams profile, or plain application/json) before HTML.
func wantsActivityJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch mt {
		case "application/activity+json", "application/ld+json", "application/json":
			return true
		case "text/html", "application/xhtml+xml":
			return false
		}
	}
	return false
}

// acceptable reports whether the Accept header allows either HTML or
// ActivityPub JSON; a client that accepts neither gets 406.
func acceptable(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch mt {
		case "*/*", "text/*", "application/*", "text/html", "application/xhtml+xml",
			"application/activity+json", "application/ld+json", "application/json":
			return true
		}
	}
	return false
}

// jsonList writes list, each element converted by view, as a JSON array
// (an empty list is [], never null: clients iterate it).
func jsonList[T, V any](c echo.Context, list []T, view func(T) V) error {
	out := make([]V, 0, len(list))
	for _, v := range list {
		out = append(out, view(v))
	}
	return c.JSON(http.StatusOK, out)
}
