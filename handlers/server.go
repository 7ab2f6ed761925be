package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/config"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/oauth"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/social"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/stream"
)

// Deps is what the routes need from the layers below.
type Deps struct {
	Config      *config.Config
	Accounts    *account.Service
	InstanceKey *store.InstanceKey
	Federation  *federation.Federation
	// OAuth issues and resolves tokens; nil leaves out the OAuth routes.
	OAuth *oauth.Service
	// Publish is the publishing service (alerts and notes).
	Publish *publish.Service
	// Moderation is the moderation service; nil leaves out the admin routes.
	Moderation *moderation.Service
	// Social is the client API's statuses, timelines and notifications;
	// nil leaves out their routes.
	Social *social.Service
	// Stream is the event hub behind the streaming API; nil leaves out
	// the streaming routes.
	Stream *stream.Hub
	// Ready reports whether the instance can serve (the store answers,
	// workers run). /readyz calls it.
	Ready  func(context.Context) error
	Logger *slog.Logger
}

// Server is the HTTP face of one instance.
type Server struct {
	cfg      *config.Config
	urls     federation.URLs
	accounts *account.Service
	instKey  *store.InstanceKey
	fed      *federation.Federation
	oauth    *oauth.Service
	pub      *publish.Service
	mod      *moderation.Service
	social   *social.Service
	stream   *stream.Hub
	now      func() time.Time
	ready    func(context.Context) error
	log      *slog.Logger
	e        *echo.Echo
}

// New builds the router with its middleware and every route.
func New(d Deps) *Server {
	s := &Server{
		cfg:      d.Config,
		urls:     federation.URLs{Base: d.Config.BaseURL()},
		accounts: d.Accounts,
		instKey:  d.InstanceKey,
		fed:      d.Federation,
		oauth:    d.OAuth,
		pub:      d.Publish,
		mod:      d.Moderation,
		social:   d.Social,
		stream:   d.Stream,
		now:      time.Now,
		ready:    d.Ready,
		log:      d.Logger,
		e:        echo.New(),
	}
	e := s.e
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		// An id sent by a reverse proxy is kept; slog quotes it in logs.
		Generator: newRequestID,
	}))
	e.Use(s.requestLogger())
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.ErrorContext(c.Request().Context(), "panic", "error", err, "stack", string(stack),
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
			return fmt.Errorf("panic: %w", err)
		},
	}))
	e.Use(bodyLimit(d.Config.HTTP.MaxBodyBytes))
	s.routes()
	return s
}

// Handler returns the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.e }

func (s *Server) routes() {
	e := s.e
	e.GET("/livez", s.livez)
	e.GET("/readyz", s.readyz)

	e.GET("/.well-known/webfinger", s.webfinger)
	e.GET("/.well-known/host-meta", s.hostMeta)
	e.GET("/.well-known/host-meta.json", s.hostMetaJSON)
	e.GET("/.well-known/nodeinfo", s.nodeInfoIndex)
	e.GET("/nodeinfo/:version", s.nodeInfo)

	e.GET("/actor", s.instanceActor)
	e.GET("/users/:username", s.actor)
	e.GET("/@:username", s.profilePage)
	s.activityPubRoutes()
	s.oauthRoutes()
	s.alertAPIRoutes()
	s.corroborationRoutes()
	s.mastodonStatusRoutes()
	s.streamingRoutes()
	s.mastodonAccountRoutes()
	s.adminRoutes()
	s.webSignedInRoutes()
	s.webRoutes()
}

func (s *Server) livez(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if s.ready != nil {
		if err := s.ready(ctx); err != nil {
			s.log.WarnContext(ctx, "not ready", "error", err)
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
