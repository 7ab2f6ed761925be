package control

import (
	"context"
	"encoding/json"

	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/store"
)

// Moderation operations.
const (
	OpDomainSet     = "domain.set"
	OpDomainClear   = "domain.clear"
	OpDomainList    = "domain.list"
	OpActorSet      = "actor.set"
	OpReviewList    = "review.list"
	OpReviewApprove = "review.approve"
	OpReviewReject  = "review.reject"
	OpRuleAdd       = "rule.add"
	OpRuleList      = "rule.list"
	OpAuditList     = "audit.list"
	OpReportList    = "report.list"
)

// TrustArgs sets a domain's or actor's trust level.
type TrustArgs struct {
	Subject string `json:"subject"` // host or actor IRI
	Level   string `json:"level,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Note    string `json:"note,omitempty"`
	By      string `json:"by,omitempty"`
}

// ReviewArgs decides on a held object.
type ReviewArgs struct {
	IRI    string `json:"iri"`
	Reason string `json:"reason,omitempty"`
	By     string `json:"by,omitempty"`
}

// ReviewItem is a held object as moderators see it.
type ReviewItem struct {
	IRI          string          `json:"iri"`
	Type         string          `json:"type"`
	AttributedTo string          `json:"attributed_to"`
	From         string          `json:"from"`
	Published    string          `json:"published"`
	Object       json.RawMessage `json:"object"`
}

// RuleArgs adds a content rule.
type RuleArgs struct {
	Kind    string `json:"kind"`
	Pattern string `json:"pattern"`
	By      string `json:"by,omitempty"`
}

func who(by string) moderation.By {
	if by == "" {
		return "cli"
	}
	return moderation.By(by)
}

// doModeration runs the moderation operations; ok=false for other ops.
func (o *Ops) doModeration(ctx context.Context, op string, args []byte) (any, bool, error) {
	switch op {
	case OpDomainSet, OpActorSet:
		var in TrustArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		if op == OpActorSet {
			tr, err := o.Moderation.SetActorTrust(ctx, who(in.By), in.Subject, in.Level, in.Reason)
			return tr, true, err
		}
		tr, err := o.Moderation.SetDomainTrust(ctx, who(in.By), in.Subject, in.Level, in.Reason, in.Note)
		return tr, true, err
	case OpDomainClear:
		var in TrustArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		return in, true, o.Moderation.ClearDomainTrust(ctx, who(in.By), in.Subject, in.Reason)
	case OpDomainList:
		list, err := o.DB.Trusts(ctx, true)
		if list == nil {
			list = []*store.Trust{}
		}
		return list, true, err
	case OpReviewList:
		held, err := o.DB.ReviewQueue(ctx, "", 200)
		if err != nil {
			return nil, true, err
		}
		items := make([]ReviewItem, 0, len(held))
		for _, h := range held {
			items = append(items, ReviewItem{IRI: h.IRI, Type: h.Type, AttributedTo: h.AttributedTo, From: h.ReceivedFrom,
				Published: h.Published.Format("2006-01-02T15:04:05Z"), Object: h.Raw})
		}
		return items, true, nil
	case OpReviewApprove, OpReviewReject:
		var in ReviewArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		if op == OpReviewApprove {
			_, err := o.Moderation.Approve(ctx, who(in.By), in.IRI)
			return in, true, err
		}
		return in, true, o.Moderation.Reject(ctx, who(in.By), in.IRI, in.Reason)
	case OpRuleAdd:
		var in RuleArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		r, err := o.Moderation.AddRule(ctx, who(in.By), in.Kind, in.Pattern)
		return r, true, err
	case OpRuleList:
		rules, err := o.DB.Rules(ctx)
		if rules == nil {
			rules = []*store.Rule{}
		}
		return rules, true, err
	case OpAuditList:
		var f store.AuditFilter
		if len(args) > 0 {
			if err := decode(args, &f); err != nil {
				return nil, true, err
			}
		}
		entries, err := o.DB.AuditLog(ctx, f)
		if entries == nil {
			entries = []*store.AuditEntry{}
		}
		return entries, true, err
	case OpReportList:
		reports, err := o.DB.Reports(ctx)
		if reports == nil {
			reports = []*store.Report{}
		}
		return reports, true, err
	}
	return nil, false, nil
}

// auditable lists the command-line operations that change an instance and
// are recorded in the audit log by Do (moderation actions record
// themselves, with their reason, in their own transaction).
var auditable = map[string]bool{
	OpAccountCreate: true, OpAccountDisable: true, OpAccountEnable: true, OpAccountPassword: true,
	OpAccountGrant: true, OpAccountRevoke: true, OpPeerAdd: true, OpPeerRemove: true,
	OpCircleSet: true, OpCircleDelete: true, OpAlertCreate: true, OpAlertUpdate: true,
	OpAlertResolve: true, OpAlertRetract: true, OpNoteCreate: true, OpBackup: true,
}

// audit records a successful administrative operation.
func (o *Ops) audit(ctx context.Context, op string, args []byte) {
	if !auditable[op] || o.Moderation == nil {
		return
	}
	var target struct {
		Username, Publisher, Organization, Ref, Name, IRI, Title, Path, As, By string
	}
	_ = json.Unmarshal(args, &target)
	t := firstNonEmpty(target.Username, target.Ref, target.Name, target.IRI, target.Title, target.Path)
	if target.Publisher != "" {
		t = target.Publisher + " -> " + target.Organization
	}
	actor := "cli"
	if target.By != "" {
		actor = target.By
	}
	if err := o.Moderation.Audit(ctx, store.AuditEntry{Actor: actor, Action: op, Target: t}); err != nil {
		o.Log.ErrorContext(ctx, "audit log", "op", op, "error", err)
	}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
