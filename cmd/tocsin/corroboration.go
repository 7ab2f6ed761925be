package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tocsin-network/tocsin/control"
	"github.com/tocsin-network/tocsin/publish"
)

// alertCorroboration runs `tocsin alert corroborate|sightings`; ok=false
// when sub is neither.
func (c *cli) alertCorroboration(ctx context.Context, sub string, args []string) (ok bool, err error) {
	fs, cf := c.newFlagSet("alert " + sub)
	var in control.CorroborateArgs
	var where listFlag
	switch sub {
	case "corroborate":
		fs.StringVar(&in.As, "as", "", "the organisation that votes")
		fs.StringVar(&in.By, "by", "", "the person acting for it")
		fs.StringVar(&in.Verdict, "verdict", "", "confirmed, disputed or seen")
		fs.IntVar(&in.Count, "count", 0, "how many times the threat was seen")
		fs.StringVar(&in.FirstSeen, "first-seen", "", "when it was first seen (RFC 3339)")
		fs.StringVar(&in.LastSeen, "last-seen", "", "when it was last seen (RFC 3339)")
		fs.Var(&where, "where", "where it was seen: ISO 3166-1 or 3166-2 code (repeatable)")
		fs.StringVar(&in.Comment, "comment", "", "a short comment (plain text, at most 500 characters)")
	case "sightings":
	case "translate", "translations", "accept-translation", "reject-translation":
		return true, c.alertTranslation(ctx, sub, args)
	default:
		return false, nil
	}
	pos, err := parse(fs, args)
	if err != nil {
		return true, err
	}
	if len(pos) != 1 {
		return true, &usageError{"alert " + sub + " needs the alert's id"}
	}
	in.IRI, in.Where = pos[0], where
	return true, c.withRunner(ctx, cf, func(r control.Runner) error {
		if sub == "sightings" {
			var votes json.RawMessage
			if err := r.Run(ctx, control.OpAlertSightings, in, &votes); err != nil {
				return err
			}
			return printJSON(c, votes)
		}
		var res publish.Corroboration
		if err := r.Run(ctx, control.OpAlertCorroborate, in, &res); err != nil {
			return err
		}
		if res.Sent {
			fmt.Fprintf(c.stdout, "sent %s to the alert's origin\n", res.Activity)
			return nil
		}
		fmt.Fprintf(c.stdout, "recorded: %s\n", res.Tally.Line())
		return nil
	})
}

// alertTranslation runs `tocsin alert translate|translations|
// accept-translation|reject-translation`.
func (c *cli) alertTranslation(ctx context.Context, sub string, args []string) error {
	fs, cf := c.newFlagSet("alert " + sub)
	var in control.TranslationArgs
	fs.StringVar(&in.As, "as", "", "the organisation")
	fs.StringVar(&in.By, "by", "", "the person acting for it")
	if sub == "translate" {
		fs.StringVar(&in.Language, "language", "", "the translation's language (BCP 47: fr, sw, pt-BR)")
		fs.StringVar(&in.Title, "title", "", "the title, translated")
		fs.StringVar(&in.Content, "content", "", "the text, translated (Markdown)")
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		what := "the alert's id"
		if strings.HasSuffix(sub, "-translation") {
			what = "the translation's id (from alert translations)"
		}
		return &usageError{"alert " + sub + " needs " + what}
	}
	op := control.OpAlertTranslations
	switch sub {
	case "translate":
		in.IRI, op = pos[0], control.OpAlertTranslate
	case "translations":
		in.IRI = pos[0]
	default:
		in.ID, in.Accept, op = pos[0], sub == "accept-translation", control.OpTranslationDecide
	}
	return c.withRunner(ctx, cf, func(r control.Runner) error {
		var out json.RawMessage
		if err := r.Run(ctx, op, in, &out); err != nil {
			return err
		}
		switch sub {
		case "translate":
			var res struct{ Offer string }
			_ = json.Unmarshal(out, &res)
			fmt.Fprintf(c.stdout, "offered %s to the alert's origin\n", res.Offer)
			return nil
		case "translations":
			return printJSON(c, out)
		}
		var tr struct{ State string }
		_ = json.Unmarshal(out, &tr)
		fmt.Fprintf(c.stdout, "translation %s %s\n", in.ID, tr.State)
		return nil
	})
}
