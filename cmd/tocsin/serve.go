package main

import (
	"context"
	"fmt"
	"net"

	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/instance"
)

func (c *cli) serve(ctx context.Context, args []string) error {
	fs, cf := c.newFlagSet("serve")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{fmt.Sprintf("serve takes no arguments, got %q", pos[0])}
	}
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	log := instance.NewLogger(cfg.Log, c.stderr)
	in, err := instance.Open(ctx, cfg, instance.Options{Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		in.Close()
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	c.printSetup(ctx, in, cf)
	return in.Serve(ctx, ln)
}

// printSetup tells a newcomer what to do next while the instance has no
// admin or no organisation account yet.
func (c *cli) printSetup(ctx context.Context, in *instance.Instance, cf *configFlags) {
	all, err := in.Accounts.List(ctx)
	if err != nil {
		return
	}
	var haveAdmin, haveOrg bool
	for _, a := range all {
		haveAdmin = haveAdmin || (a.Role == account.RoleAdmin && !a.Disabled)
		haveOrg = haveOrg || a.Kind == account.KindOrganization
	}
	if haveAdmin && haveOrg {
		return
	}
	prog, flags := cf.advice(), cf.flagsText()
	fmt.Fprintf(c.stdout, "\nTocsin is running at %s (data in %s).\n", in.Config.BaseURL(), in.Config.DataDir)
	fmt.Fprintf(c.stdout, "Instance actor: %s/actor\n\nNext steps, in another terminal:\n", in.Config.BaseURL())
	step := 1
	if !haveAdmin {
		fmt.Fprintf(c.stdout, "  %d. Create the first admin (the password is read from standard input):\n"+
			"       echo 'choose-a-long-password' | %s account create%s --username admin --kind person --role admin --email you@example.org\n",
			step, prog, flags)
		step++
	}
	if !haveOrg {
		fmt.Fprintf(c.stdout, "  %d. Create your organisation, the network's voice on the fediverse:\n"+
			"       echo 'another-long-password' | %s account create%s --username mynetwork --kind organization --role publisher\n",
			step, prog, flags)
		step++
		fmt.Fprintf(c.stdout, "  %d. Let a publisher act for it:\n"+
			"       %s account grant%s --publisher admin --organization mynetwork\n", step, prog, flags)
	}
	fmt.Fprintf(c.stdout, "\nCheck it: curl -s %s/.well-known/nodeinfo ; stop with Ctrl-C.\n\n", in.Config.BaseURL())
}
