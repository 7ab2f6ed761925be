package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/config"
	"github.com/tocsin-network/tocsin/control"
	"github.com/tocsin-network/tocsin/instance"
	"github.com/tocsin-network/tocsin/store"
)

// runner returns a way to run management operations: the running server's
// admin socket if one answers, else this process opening the database.
func (c *cli) runner(ctx context.Context, cfg *config.Config) (control.Runner, func(), error) {
	sock := cfg.AdminSocketPath()
	if cl, err := control.Dial(ctx, sock); err == nil {
		return cl, func() {}, nil
	}
	log := instance.NewLogger(config.Log{Level: "warn", Format: cfg.Log.Format}, c.stderr)
	in, err := instance.Open(ctx, cfg, instance.Options{Logger: log})
	if err != nil {
		if errors.Is(err, store.ErrInUse) {
			return nil, nil, fmt.Errorf("%w, and its admin socket %s does not answer", err, sock)
		}
		return nil, nil, err
	}
	return in.Ops, func() { in.Close() }, nil
}

// withRunner loads the configuration and runs fn with a Runner.
func (c *cli) withRunner(ctx context.Context, cf *configFlags, fn func(control.Runner) error) error {
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	r, done, err := c.runner(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	return fn(r)
}

// readPassword reads the password from the first line of standard input;
// at a terminal it asks twice, without echo.
func (c *cli) readPassword() (string, error) {
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.stderr, "Password: ")
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(c.stderr, "Again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(pw) != string(again) {
			return "", &usageError{"the passwords differ"}
		}
		return string(pw), nil
	}
	line, err := bufio.NewReader(io.LimitReader(c.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (c *cli) account(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{"account needs a subcommand: create, list, disable, enable, password, grant, revoke"}
	}
	sub, args := args[0], args[1:]
	fs, cf := c.newFlagSet("account " + sub)
	switch sub {
	case "create":
		var in account.CreateInput
		fs.StringVar(&in.Username, "username", "", "username (letters, digits, underscores)")
		fs.StringVar(&in.Kind, "kind", "", "organization or person")
		fs.StringVar(&in.Role, "role", "", "admin, moderator, publisher or member")
		fs.StringVar(&in.Email, "email", "", "email address (optional)")
		fs.StringVar(&in.DisplayName, "display-name", "", "display name (optional)")
		if _, err := parse(fs, args); err != nil {
			return err
		}
		for _, f := range []struct{ name, v string }{{"username", in.Username}, {"kind", in.Kind}, {"role", in.Role}} {
			if err := requireFlag(f.name, f.v); err != nil {
				return err
			}
		}
		pw, err := c.readPassword()
		if err != nil {
			return err
		}
		in.Password = pw
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var v control.AccountView
			if err := r.Run(ctx, control.OpAccountCreate, in, &v); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "created %s %s (%s, role %s)\n", v.Kind, v.Username, v.ID, v.Role)
			return nil
		})
	case "list":
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parse(fs, args); err != nil {
			return err
		}
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			var list []control.AccountView
			if err := r.Run(ctx, control.OpAccountList, struct{}{}, &list); err != nil {
				return err
			}
			if *asJSON {
				enc := json.NewEncoder(c.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USERNAME\tKIND\tROLE\tSTATE\tACTS FOR\tEMAIL")
			for _, a := range list {
				state := "active"
				if a.Disabled {
					state = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Username, a.Kind, a.Role, state, strings.Join(a.ActsFor, ","), a.Email)
			}
			return tw.Flush()
		})
	case "disable", "enable":
		var in control.UsernameArgs
		fs.StringVar(&in.Username, "username", "", "account to "+sub)
		if _, err := parse(fs, args); err != nil {
			return err
		}
		if err := requireFlag("username", in.Username); err != nil {
			return err
		}
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			op := control.OpAccountEnable
			if sub == "disable" {
				op = control.OpAccountDisable
			}
			if err := r.Run(ctx, op, in, nil); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%sd %s\n", sub, in.Username)
			return nil
		})
	case "password":
		var in control.PasswordArgs
		fs.StringVar(&in.Username, "username", "", "account whose password to reset")
		if _, err := parse(fs, args); err != nil {
			return err
		}
		if err := requireFlag("username", in.Username); err != nil {
			return err
		}
		pw, err := c.readPassword()
		if err != nil {
			return err
		}
		in.Password = pw
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			if err := r.Run(ctx, control.OpAccountPassword, in, nil); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "password of %s changed\n", in.Username)
			return nil
		})
	case "grant", "revoke":
		var in control.GrantArgs
		fs.StringVar(&in.Publisher, "publisher", "", "the person who publishes")
		fs.StringVar(&in.Organization, "organization", "", "the organisation account")
		if _, err := parse(fs, args); err != nil {
			return err
		}
		if err := requireFlag("publisher", in.Publisher); err != nil {
			return err
		}
		if err := requireFlag("organization", in.Organization); err != nil {
			return err
		}
		return c.withRunner(ctx, cf, func(r control.Runner) error {
			op := control.OpAccountGrant
			if sub == "revoke" {
				op = control.OpAccountRevoke
			}
			if err := r.Run(ctx, op, in, nil); err != nil {
				return err
			}
			if sub == "grant" {
				fmt.Fprintf(c.stdout, "%s may now act for %s\n", in.Publisher, in.Organization)
			} else {
				fmt.Fprintf(c.stdout, "%s may no longer act for %s\n", in.Publisher, in.Organization)
			}
			return nil
		})
	}
	return &usageError{fmt.Sprintf("unknown account subcommand %q", sub)}
}
