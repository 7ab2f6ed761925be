package handlers

// The admin console's part of shared trust lists, on the domains page:
// the subscriptions with their last fetch and error, what applying each
// would change, and an apply button. Subscribing and unsubscribing are in
// the CLI and the admin API.
//
//	POST /admin/domains/subscriptions/:id/apply
//
// Control ids: table #trust-subscriptions; rows #subscription-{id};
// #subscription-changes-{id} (the preview), #subscription-apply-{id}.

import (
	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/moderation"
)

// adminSubscription is a subscription as the domains page shows it.
type adminSubscription struct {
	moderation.TrustSubscriptionView
	Changes []moderation.TrustListChange
}

// adminSubscriptions loads the subscriptions and what applying each would
// change.
func (s *Server) adminSubscriptions(c echo.Context) ([]adminSubscription, error) {
	ctx := c.Request().Context()
	subs, err := s.mod.TrustSubscriptions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]adminSubscription, 0, len(subs))
	for _, sub := range subs {
		p, err := s.mod.PreviewTrustList(ctx, sub.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, adminSubscription{TrustSubscriptionView: sub, Changes: p.Changes})
	}
	return out, nil
}

// adminApplyTrustList is POST /admin/domains/subscriptions/:id/apply.
func (s *Server) adminApplyTrustList(c echo.Context) error {
	if _, err := s.mod.ApplyTrustList(c.Request().Context(), modByWeb(c, s), c.Param("id")); err != nil {
		return s.refused(c, err, s.showDomains)
	}
	return done(c, "domains", "listApplied")
}
