package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tocsin-network/tocsin/control"
)

func (c *cli) status(ctx context.Context, args []string) error {
	fs, cf := c.newFlagSet("status")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return c.withRunner(ctx, cf, func(r control.Runner) error {
		var st control.Status
		if err := r.Run(ctx, control.OpStatus, struct{}{}, &st); err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(c.stdout).Encode(st)
		}
		state := "stopped (read from the database)"
		if st.Server {
			state = "running"
		}
		fmt.Fprintf(c.stdout, "server: %s\nschema version: %d\naccounts: %d\nlocal posts: %d\ninbound activities waiting: %d\ndeliveries waiting: %d\n",
			state, st.SchemaVersion, st.Accounts, st.LocalObjects, st.InboxJournal, st.Deliveries)
		return nil
	})
}
