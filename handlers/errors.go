package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/store"
)

// errorBody is Mastodon's error shape, which every client understands.
type errorBody struct {
	Error       string              `json:"error"`
	Description string              `json:"error_description,omitempty"`
	Fields      []tocsin.FieldError `json:"details,omitempty"`
}

// statusOf maps an application error code to an HTTP status.
func statusOf(code string) int {
	switch code {
	case tocsin.EINVALID:
		return http.StatusUnprocessableEntity
	case tocsin.ENOTFOUND:
		return http.StatusNotFound
	case tocsin.ECONFLICT:
		return http.StatusConflict
	case tocsin.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case tocsin.EFORBIDDEN:
		return http.StatusForbidden
	case tocsin.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorHandler is echo's HTTPErrorHandler: every error leaves as JSON in
// Mastodon's shape, never as an HTML page, and internal details stay in the
// log.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	body := errorBody{Error: "internal error"}
	var he *echo.HTTPError
	var te *tocsin.Error
	switch {
	case errors.Is(err, store.ErrDiskFull):
		// Nothing was committed: say so, and that a retry may succeed.
		status = http.StatusServiceUnavailable
		body.Error = "disk full on this instance: nothing was saved; try again later"
	case errors.As(err, &he):
		status = he.Code
		body.Error = http.StatusText(status)
		if m, ok := he.Message.(string); ok && m != "" {
			body.Error = m
		}
	case errors.As(err, &te):
		status = statusOf(te.Code)
		body.Error = te.Error()
		body.Fields = te.Fields
	}
	if status >= 500 {
		s.log.ErrorContext(c.Request().Context(), "request failed", "error", err,
			"method", c.Request().Method, "path", c.Request().URL.Path,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = c.JSON(status, body)
	}
	if err != nil {
		s.log.Error("write error response", "error", err)
	}
}
