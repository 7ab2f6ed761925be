package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/tocsin-network/tocsin/control"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/store"
)

func (c *cli) peer(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{"peer needs a subcommand: add, list, remove"}
	}
	sub, args := args[0], args[1:]
	fs, cf := c.newFlagSet("peer " + sub)
	as := fs.String("as", "", "the local organisation account (default: instance.contact_account, or the only one)")
	trust := fs.String("trust", "", "trust level for the peer's domain: trusted (the default for peers), review, limited")
	switch sub {
	case "add", "remove":
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return &usageError{"peer " + sub + " needs one argument: a handle (org@host), an actor URL or a server address"}
		}
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			in := control.PeerArgs{Ref: pos[0], As: *as, Trust: *trust}
			if sub == "remove" {
				if err := r.Run(ctx, control.OpPeerRemove, in, nil); err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "no longer peering with %s\n", pos[0])
				return nil
			}
			var p store.Peer
			if err := r.Run(ctx, control.OpPeerAdd, in, &p); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "peering with %s: follow request sent\n", p.Actor)
			return nil
		})
	case "list":
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parse(fs, args); err != nil {
			return err
		}
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var list []federation.PeerStatus
			if err := r.Run(ctx, control.OpPeerList, struct{}{}, &list); err != nil {
				return err
			}
			if *asJSON {
				enc := json.NewEncoder(c.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PEER\tAS\tWE FOLLOW\tTHEY FOLLOW\tBACKLOG\tLAST SUCCESS\tLAST ERROR")
			for _, p := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", p.Actor, p.Local, p.WeFollow, p.TheyFollow, p.Backlog, ago(p.LastSuccess), p.LastError)
			}
			return tw.Flush()
		})
	}
	return &usageError{fmt.Sprintf("unknown peer subcommand %q", sub)}
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return time.Since(t).Round(time.Second).String() + " ago"
}
