package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/control"
	"github.com/tocsin-network/tocsin/store"
)

// listFlag collects a repeatable flag (--country KE --country UG, or
// --country KE,UG).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// sourceFlag collects --source URL or --source "URL Title words".
type sourceFlag []alert.Source

func (s *sourceFlag) String() string { return fmt.Sprint(len(*s)) }
func (s *sourceFlag) Set(v string) error {
	url, title, _ := strings.Cut(strings.TrimSpace(v), " ")
	*s = append(*s, alert.Source{URL: url, Title: strings.TrimSpace(title)})
	return nil
}

func alertFlags(fs *flag.FlagSet, in *control.AlertArgs, countries, subdivisions, recipients *listFlag, sources *sourceFlag) {
	fs.StringVar(&in.As, "as", "", "the organisation account that publishes (default: instance.contact_account, or the only one)")
	fs.StringVar(&in.By, "by", "", "the person acting for it (recorded in the history)")
	fs.StringVar(&in.Title, "title", "", "headline")
	fs.StringVar(&in.Body, "body", "", "text (Markdown)")
	fs.StringVar(&in.Severity, "severity", "", "minor, moderate, severe or extreme")
	fs.StringVar(&in.Confidence, "confidence", "", "observed, likely (default), possible or unlikely")
	fs.StringVar(&in.Category, "category", "", "threat category (e.g. disinformation, cyber-incident)")
	fs.Var(countries, "country", "ISO 3166-1 country code (repeatable)")
	fs.Var(subdivisions, "subdivision", "ISO 3166-2 subdivision code (repeatable)")
	fs.StringVar(&in.TLP, "tlp", "", "CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
	fs.StringVar(&in.Circle, "circle", "", "the circle of peers a TLP:AMBER alert goes to")
	fs.Var(recipients, "recipient", "an organisation actor for TLP:AMBER+STRICT or RED (repeatable)")
	fs.StringVar(&in.Expires, "expires", "", "when it expires (RFC 3339)")
	fs.StringVar(&in.ElectionName, "election", "", "the election's name")
	fs.StringVar(&in.ElectionDate, "election-date", "", "the election's date (YYYY-MM-DD)")
	fs.Var(sources, "source", `a source: "URL" or "URL title" (repeatable)`)
	fs.StringVar(&in.Language, "language", "", "language of the text (default: the instance's first)")
	fs.StringVar(&in.Supersedes, "supersedes", "", "the id of an alert this one replaces")
}

func (c *cli) alert(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{"alert needs a subcommand: create, update, resolve, retract, get, list, corroborate, sightings"}
	}
	sub, args := args[0], args[1:]
	if ok, err := c.alertCorroboration(ctx, sub, args); ok { // corroboration.go
		return err
	}
	fs, cf := c.newFlagSet("alert " + sub)
	var in control.AlertArgs
	var countries, subdivisions, recipients listFlag
	var sources sourceFlag
	switch sub {
	case "create", "update":
		alertFlags(fs, &in, &countries, &subdivisions, &recipients, &sources)
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		op := control.OpAlertCreate
		if sub == "update" {
			if len(pos) != 1 {
				return &usageError{"alert update needs the alert's id"}
			}
			in.IRI, op = pos[0], control.OpAlertUpdate
		}
		in.Countries, in.Subdivisions, in.Recipients, in.Sources = countries, subdivisions, recipients, sources
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var rec store.AlertRecord
			if err := r.Run(ctx, op, in, &rec); err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, rec.IRI)
			return nil
		})
	case "resolve", "retract", "get":
		fs.StringVar(&in.As, "as", "", "the organisation account")
		fs.StringVar(&in.By, "by", "", "the person acting for it")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return &usageError{"alert " + sub + " needs the alert's id"}
		}
		in.IRI = pos[0]
		op := map[string]string{"resolve": control.OpAlertResolve, "retract": control.OpAlertRetract, "get": control.OpAlertGet}[sub]
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var rec json.RawMessage
			if err := r.Run(ctx, op, in, &rec); err != nil {
				return err
			}
			if sub == "get" {
				return printJSON(c, rec)
			}
			fmt.Fprintf(c.stdout, "%s %s\n", map[string]string{"resolve": "resolved", "retract": "retracted"}[sub], in.IRI)
			return nil
		})
	case "list":
		var f control.AlertFilterArgs
		var cats, sevs, stats, tlps listFlag
		fs.Var(&countries, "country", "only these countries (repeatable)")
		fs.Var(&cats, "category", "only these categories")
		fs.Var(&sevs, "severity", "only these severities")
		fs.Var(&stats, "status", "only these statuses")
		fs.Var(&tlps, "tlp", "only these TLP levels")
		fs.StringVar(&f.Origin, "origin", "", "local or peer")
		fs.StringVar(&f.Since, "since", "", "published at or after (RFC 3339)")
		fs.StringVar(&f.Until, "until", "", "published before (RFC 3339)")
		fs.IntVar(&f.Limit, "limit", 20, "page size (at most 200)")
		fs.StringVar(&f.MaxID, "max-id", "", "start after this cursor (the previous page's next)")
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parse(fs, args); err != nil {
			return err
		}
		f.Countries, f.Categories, f.Severities, f.Statuses, f.TLPs = countries, cats, sevs, stats, tlps
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var page control.AlertPage
			if err := r.Run(ctx, control.OpAlertList, f, &page); err != nil {
				return err
			}
			if *asJSON {
				return printJSON(c, page)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PUBLISHED\tTLP\tSEVERITY\tCATEGORY\tCOUNTRIES\tSTATUS\tORIGIN\tTITLE")
			for _, rec := range page.Alerts {
				a := rec.Alert
				origin := "local"
				if !rec.Local {
					origin = rec.Origin
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Published.Format("2006-01-02 15:04"), a.TLP, a.Severity,
					a.Category, strings.Join(a.Countries, ","), a.Status, origin, a.Title)
			}
			if page.Next != "" {
				fmt.Fprintf(tw, "(more: --max-id %s)\n", page.Next)
			}
			return tw.Flush()
		})
	}
	return &usageError{fmt.Sprintf("unknown alert subcommand %q", sub)}
}

func printJSON(c *cli, v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (c *cli) note(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{"note needs a subcommand: create, list"}
	}
	sub, args := args[0], args[1:]
	fs, cf := c.newFlagSet("note " + sub)
	switch sub {
	case "create":
		var in control.NoteArgs
		var topics, countries listFlag
		fs.StringVar(&in.As, "as", "", "the organisation account that publishes")
		fs.StringVar(&in.By, "by", "", "the person acting for it")
		fs.StringVar(&in.Title, "title", "", "title")
		fs.StringVar(&in.Summary, "summary", "", "a one-paragraph summary")
		fs.StringVar(&in.Body, "body", "", "text (Markdown)")
		fs.Var(&topics, "topic", "topic (repeatable)")
		fs.Var(&countries, "country", "country code (repeatable)")
		fs.StringVar(&in.Language, "language", "", "language of the text")
		if _, err := parse(fs, args); err != nil {
			return err
		}
		in.Topics, in.Countries = topics, countries
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var rec store.NoteRecord
			if err := r.Run(ctx, control.OpNoteCreate, in, &rec); err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, rec.IRI)
			return nil
		})
	case "list":
		if _, err := parse(fs, args); err != nil {
			return err
		}
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var recs json.RawMessage
			if err := r.Run(ctx, control.OpNoteList, struct{}{}, &recs); err != nil {
				return err
			}
			return printJSON(c, recs)
		})
	}
	return &usageError{fmt.Sprintf("unknown note subcommand %q", sub)}
}

func (c *cli) circle(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{"circle needs a subcommand: set, list, delete"}
	}
	sub, args := args[0], args[1:]
	fs, cf := c.newFlagSet("circle " + sub)
	var members listFlag
	fs.Var(&members, "member", "a peer organisation: handle, actor URL or server address (repeatable)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch sub {
	case "set", "delete":
		if len(pos) != 1 {
			return &usageError{"circle " + sub + " needs the circle's name"}
		}
		in := control.CircleArgs{Name: pos[0], Members: members}
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			op := control.OpCircleSet
			if sub == "delete" {
				op = control.OpCircleDelete
			}
			var out store.Circle
			if err := r.Run(ctx, op, in, &out); err != nil {
				return err
			}
			if sub == "set" {
				fmt.Fprintf(c.stdout, "circle %s: %d members\n", out.Name, len(out.Members))
			} else {
				fmt.Fprintf(c.stdout, "circle %s deleted\n", pos[0])
			}
			return nil
		})
	case "list":
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var cs json.RawMessage
			if err := r.Run(ctx, control.OpCircleList, struct{}{}, &cs); err != nil {
				return err
			}
			return printJSON(c, cs)
		})
	}
	return &usageError{fmt.Sprintf("unknown circle subcommand %q", sub)}
}
