package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/tocsin-network/tocsin/control"
	"github.com/tocsin-network/tocsin/store"
)

// domain: tocsin domain set HOST LEVEL [--reason R] [--note N] | clear HOST | list
func (c *cli) domain(ctx context.Context, args []string) error {
	if len(args) > 0 && trustListSubcommands[args[0]] {
		return c.trustList(ctx, args[0], args[1:])
	}
	return c.trustCommand(ctx, "domain", args)
}

// actor: tocsin actor set ACTOR-URL LEVEL [--reason R]
func (c *cli) actor(ctx context.Context, args []string) error {
	return c.trustCommand(ctx, "actor", args)
}

func (c *cli) trustCommand(ctx context.Context, what string, args []string) error {
	if len(args) == 0 {
		return &usageError{what + " needs a subcommand: set, clear, list"}
	}
	sub, args := args[0], args[1:]
	fs, cf := c.newFlagSet(what + " " + sub)
	var in control.TrustArgs
	fs.StringVar(&in.Reason, "reason", "", "why (public: trust lists may publish it)")
	fs.StringVar(&in.Note, "note", "", "a private note for moderators")
	fs.StringVar(&in.By, "by", "", "the moderator acting (recorded in the audit log)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case sub == "set" && len(pos) == 2:
		in.Subject, in.Level = pos[0], pos[1]
		op := control.OpDomainSet
		if what == "actor" {
			op = control.OpActorSet
		}
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var tr store.Trust
			if err := r.Run(ctx, op, in, &tr); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s is now %s\n", tr.Subject, tr.Level)
			return nil
		})
	case sub == "clear" && len(pos) == 1 && what == "domain":
		in.Subject = pos[0]
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			if err := r.Run(ctx, control.OpDomainClear, in, nil); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s: back to the default level\n", in.Subject)
			return nil
		})
	case sub == "list" && what == "domain":
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var list []store.Trust
			if err := r.Run(ctx, control.OpDomainList, struct{}{}, &list); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DOMAIN\tLEVEL\tREASON\tBY\tSINCE")
			for _, t := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Subject, t.Level, t.Reason, t.By, t.UpdatedAt.Format("2006-01-02"))
			}
			return tw.Flush()
		})
	}
	return &usageError{fmt.Sprintf("usage: tocsin %s set SUBJECT trusted|review|limited|blocked [--reason R] | clear SUBJECT | list", what)}
}

// review: tocsin review list | approve IRI | reject IRI --reason R
func (c *cli) review(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{"review needs a subcommand: list, approve, reject"}
	}
	sub, args := args[0], args[1:]
	fs, cf := c.newFlagSet("review " + sub)
	var in control.ReviewArgs
	fs.StringVar(&in.Reason, "reason", "", "why (required to reject)")
	fs.StringVar(&in.By, "by", "", "the moderator acting")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case sub == "list":
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var items []control.ReviewItem
			if err := r.Run(ctx, control.OpReviewList, struct{}{}, &items); err != nil {
				return err
			}
			return printJSON(c, items)
		})
	case (sub == "approve" || sub == "reject") && len(pos) == 1:
		in.IRI = pos[0]
		op := control.OpReviewApprove
		if sub == "reject" {
			op = control.OpReviewReject
		}
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			if err := r.Run(ctx, op, in, nil); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s %s\n", map[string]string{"approve": "approved", "reject": "rejected"}[sub], in.IRI)
			return nil
		})
	}
	return &usageError{"usage: tocsin review list | approve ID | reject ID --reason R"}
}

// rule: tocsin rule add keyword|link PATTERN | list
func (c *cli) rule(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{"rule needs a subcommand: add, list"}
	}
	sub, args := args[0], args[1:]
	fs, cf := c.newFlagSet("rule " + sub)
	var in control.RuleArgs
	fs.StringVar(&in.By, "by", "", "the moderator acting")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case sub == "add" && len(pos) == 2:
		in.Kind, in.Pattern = pos[0], pos[1]
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var rule store.Rule
			if err := r.Run(ctx, control.OpRuleAdd, in, &rule); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "rule %s: posts with %s %q are held for review\n", rule.ID, rule.Kind, rule.Pattern)
			return nil
		})
	case sub == "list":
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var rules json.RawMessage
			if err := r.Run(ctx, control.OpRuleList, struct{}{}, &rules); err != nil {
				return err
			}
			return printJSON(c, rules)
		})
	}
	return &usageError{"usage: tocsin rule add keyword|link PATTERN | list"}
}

// audit: tocsin audit [--actor A] [--action PREFIX] [--target T] [--limit N] [--json]
func (c *cli) audit(ctx context.Context, args []string) error {
	fs, cf := c.newFlagSet("audit")
	var f store.AuditFilter
	fs.StringVar(&f.Actor, "actor", "", "only actions by this person (or cli)")
	fs.StringVar(&f.Action, "action", "", "only actions starting with this (e.g. domain., review.)")
	fs.StringVar(&f.Target, "target", "", "only targets containing this")
	fs.IntVar(&f.Limit, "limit", 50, "how many")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return c.withRunner(ctx, cf, func(r control.Runner) error {
		var entries []store.AuditEntry
		if err := r.Run(ctx, control.OpAuditList, f, &entries); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(c, entries)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WHEN\tWHO\tACTION\tTARGET\tREASON")
		for _, e := range entries {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.Format("2006-01-02 15:04:05"), e.Actor, e.Action, e.Target, e.Reason)
		}
		return tw.Flush()
	})
}

// report: tocsin report list
func (c *cli) report(ctx context.Context, args []string) error {
	fs, cf := c.newFlagSet("report")
	if len(args) == 0 || args[0] != "list" {
		return &usageError{"usage: tocsin report list"}
	}
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	return c.withRunner(ctx, cf, func(r control.Runner) error {
		var reports json.RawMessage
		if err := r.Run(ctx, control.OpReportList, struct{}{}, &reports); err != nil {
			return err
		}
		return printJSON(c, reports)
	})
}
