package handlers

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/store"
)

// TestDiskFullIsA503SayingNothingWasSaved: a request whose write failed for
// lack of space (store.ErrDiskFull, however deeply wrapped) is answered
// 503 with a reason a client can show, never 500 "internal error" and
// never 2xx.
func TestDiskFullIsA503SayingNothingWasSaved(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	e := echo.New()
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest(http.MethodPost, "/api/v1/statuses", nil), rec)
	err := fmt.Errorf("publish: store note: %w", fmt.Errorf("%w: file resize error: file too large", store.ErrDiskFull))
	s.errorHandler(err, c)
	var body errorBody
	if json.Unmarshal(rec.Body.Bytes(), &body) != nil || rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("got %d %s, want 503", rec.Code, rec.Body)
	}
	if body.Error != "disk full on this instance: nothing was saved; try again later" {
		t.Errorf("error %q", body.Error)
	}
}
