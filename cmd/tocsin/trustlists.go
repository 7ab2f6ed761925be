package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/tocsin-network/tocsin/control"
	"github.com/tocsin-network/tocsin/moderation"
)

// trustListSubcommands are the `tocsin domain` subcommands about shared
// trust lists.
var trustListSubcommands = map[string]bool{
	"subscribe": true, "subscriptions": true, "subscription-preview": true,
	"subscription-apply": true, "subscription-refresh": true, "unsubscribe": true,
}

const trustListUsage = `usage: tocsin domain subscribe URL|HANDLE|DOMAIN [--priority N] [--auto] [--block-only]
       tocsin domain subscriptions [--json]
       tocsin domain subscription-preview ID [--json]
       tocsin domain subscription-apply ID
       tocsin domain subscription-refresh ID
       tocsin domain unsubscribe ID`

// trustList runs the shared trust list subcommands of `tocsin domain`.
func (c *cli) trustList(ctx context.Context, sub string, args []string) error {
	fs, cf := c.newFlagSet("domain " + sub)
	var in control.SubscribeArgs
	fs.IntVar(&in.Priority, "priority", 0, "higher wins when two lists disagree (-1000 to 1000)")
	fs.BoolVar(&in.Auto, "auto", false, "apply changes on every refresh, without review")
	fs.BoolVar(&in.BlockOnly, "block-only", false, "take only the list's blocks, not its limits")
	fs.StringVar(&in.By, "by", "", "the moderator acting (recorded in the audit log)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if (sub == "subscriptions") != (len(pos) == 0) || len(pos) > 1 {
		return &usageError{trustListUsage}
	}
	return c.withRunner(ctx, cf, func(r control.Runner) error {
		switch sub {
		case "subscribe":
			in.Source = pos[0]
			var s moderation.TrustSubscriptionView
			err := r.Run(ctx, control.OpTrustListSubscribe, in, &s)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "subscription %s: %s, priority %d, %s mode\n", s.ID, s.URL, s.Priority, s.Mode)
			if s.LastError != "" {
				fmt.Fprintf(c.stdout, "the first fetch failed (retried on schedule): %s\n", s.LastError)
			} else if s.Mode == moderation.SubscriptionReview {
				fmt.Fprintf(c.stdout, "%d entries fetched; review with `tocsin domain subscription-preview %s`\n", s.Entries, s.ID)
			}
			return nil
		case "subscriptions":
			var subs []moderation.TrustSubscriptionView
			if err := r.Run(ctx, control.OpTrustListList, struct{}{}, &subs); err != nil {
				return err
			}
			if *asJSON {
				return printJSON(c, subs)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tURL\tPRIORITY\tMODE\tLEVELS\tENTRIES\tPENDING\tLAST FETCH\tLAST ERROR")
			for _, s := range subs {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%v\t%d\t%d\t%s\t%s\n", s.ID, s.URL, s.Priority, s.Mode, s.Levels,
					s.Entries, s.Pending, when(s.LastFetch), s.LastError)
			}
			return tw.Flush()
		}
		args := control.SubscriptionArgs{ID: pos[0], By: in.By}
		var p moderation.TrustListPreview
		switch sub {
		case "subscription-refresh":
			var s moderation.TrustSubscriptionView
			if err := r.Run(ctx, control.OpTrustListRefresh, args, &s); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "subscription %s: %d entries fetched\n", s.ID, s.Entries)
			return nil
		case "subscription-preview":
			if err := r.Run(ctx, control.OpTrustListPreview, args, &p); err != nil {
				return err
			}
		case "subscription-apply":
			if err := r.Run(ctx, control.OpTrustListApply, args, &p); err != nil {
				return err
			}
		case "unsubscribe":
			if err := r.Run(ctx, control.OpTrustListUnsubscribe, args, &p); err != nil {
				return err
			}
		}
		if *asJSON {
			return printJSON(c, p)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DOMAIN\tCHANGE\tFROM\tTO\tSUBSCRIPTION\tREASON")
		for _, ch := range p.Changes {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ch.Domain, ch.Action, orNone(ch.From), orNone(ch.To), ch.Subscription, ch.Reason)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		skipped := 0
		for _, ch := range p.Changes {
			if ch.Action == moderation.ChangeSkip {
				skipped++
			}
		}
		verb := map[string]string{"subscription-preview": "to change", "subscription-apply": "changed", "unsubscribe": "changed"}[sub]
		fmt.Fprintf(c.stdout, "%d %s, %d skipped (a local decision wins)\n", len(p.Changes)-skipped, verb, skipped)
		return nil
	})
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func orNone(level string) string {
	if level == "" {
		return "-"
	}
	return level
}
