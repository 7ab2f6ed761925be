package control

import (
	"context"

	"github.com/tocsin-network/tocsin/moderation"
)

// Trust list operations (moderation/trustlists.go).
const (
	OpTrustListSubscribe   = "trustlist.subscribe"
	OpTrustListList        = "trustlist.list"
	OpTrustListPreview     = "trustlist.preview"
	OpTrustListApply       = "trustlist.apply"
	OpTrustListRefresh     = "trustlist.refresh"
	OpTrustListUnsubscribe = "trustlist.unsubscribe"
)

// SubscribeArgs subscribes to a trust list.
type SubscribeArgs struct {
	moderation.SubscribeInput
	By string `json:"by,omitempty"`
}

// SubscriptionArgs names a subscription.
type SubscriptionArgs struct {
	ID string `json:"id"`
	By string `json:"by,omitempty"`
}

// doTrustLists runs the trust list operations; ok=false for other ops.
// Each records itself in the audit log (moderation does).
func (o *Ops) doTrustLists(ctx context.Context, op string, args []byte) (any, bool, error) {
	switch op {
	case OpTrustListSubscribe:
		var in SubscribeArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		sub, err := o.Moderation.Subscribe(ctx, who(in.By), in.SubscribeInput)
		return sub, true, err
	case OpTrustListList:
		subs, err := o.Moderation.TrustSubscriptions(ctx)
		return subs, true, err
	case OpTrustListPreview, OpTrustListApply, OpTrustListRefresh, OpTrustListUnsubscribe:
		var in SubscriptionArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		switch op {
		case OpTrustListPreview:
			p, err := o.Moderation.PreviewTrustList(ctx, in.ID)
			return p, true, err
		case OpTrustListApply:
			p, err := o.Moderation.ApplyTrustList(ctx, who(in.By), in.ID)
			return p, true, err
		case OpTrustListRefresh:
			sub, err := o.Moderation.RefreshTrustList(ctx, who(in.By), in.ID)
			return sub, true, err
		}
		p, err := o.Moderation.Unsubscribe(ctx, who(in.By), in.ID)
		return p, true, err
	}
	return nil, false, nil
}
