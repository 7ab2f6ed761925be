package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/account"
)

const (
	nodeInfo20Schema = "http://nodeinfo.diaspora.software/ns/schema/2.0"
	nodeInfo21Schema = "http://nodeinfo.diaspora.software/ns/schema/2.1"
)

func (s *Server) nodeInfoIndex(c echo.Context) error {
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.JSON(http.StatusOK, map[string]any{
		"links": []map[string]string{
			{"rel": nodeInfo20Schema, "href": s.urls.Base + "/nodeinfo/2.0"},
			{"rel": nodeInfo21Schema, "href": s.urls.Base + "/nodeinfo/2.1"},
		},
	})
}

// nodeInfo serves NodeInfo 2.0 and 2.1: software, protocols, usage counts,
// registrations, and metadata naming the instance and its organisation.
func (s *Server) nodeInfo(c echo.Context) error {
	version := c.Param("version")
	var schema string
	switch version {
	case "2.0":
		schema = nodeInfo20Schema
	case "2.1":
		schema = nodeInfo21Schema
	default:
		return echo.NewHTTPError(http.StatusNotFound, "NodeInfo versions 2.0 and 2.1 are served")
	}
	ctx := c.Request().Context()
	accounts, err := s.accounts.List(ctx)
	if err != nil {
		return err
	}
	users := 0
	for _, a := range accounts {
		if !a.Disabled {
			users++
		}
	}
	posts, err := s.fed.DB.CountLocalPublicObjects(ctx)
	if err != nil {
		return err
	}
	software := map[string]any{"name": tocsin.Software, "version": tocsin.Version}
	if version == "2.1" {
		software["repository"] = "https://github.com/tocsin-network/tocsin"
		software["homepage"] = "https://github.com/tocsin-network/tocsin"
	}
	inst := s.cfg.Instance
	metadata := map[string]any{
		"nodeName":        inst.Name,
		"nodeDescription": inst.Description,
		"languages":       inst.Languages,
		"federation":      map[string]any{"mode": s.cfg.Federation.Mode},
	}
	org := map[string]any{"name": inst.Name}
	if inst.ContactEmail != "" {
		org["contact"] = inst.ContactEmail
	}
	if inst.ContactAccount != "" {
		if a, err := s.accounts.Get(ctx, inst.ContactAccount); err == nil {
			org["account"] = s.urls.Actor(a.Username)
			if a.Kind == account.KindOrganization && a.DisplayName != "" {
				org["name"] = a.DisplayName
			}
		}
	}
	metadata["organization"] = org
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return jsonAs(c, http.StatusOK, `application/json; profile="`+schema+`#"`, map[string]any{
		"version":           version,
		"software":          software,
		"protocols":         []string{"activitypub"},
		"services":          map[string][]string{"inbound": {}, "outbound": {}},
		"openRegistrations": inst.RegistrationsOpen,
		"usage": map[string]any{
			"users":      map[string]int{"total": users},
			"localPosts": posts,
		},
		"metadata": metadata,
	})
}
