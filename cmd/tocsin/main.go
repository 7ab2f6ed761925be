// Command tocsin runs and manages one Tocsin instance: a federated
// ActivityPub server for the electoral-integrity community.
//
// Usage:
//
//	tocsin serve [--config FILE] [--domain HOST] [--listen ADDR] [--data-dir DIR] ...
//	tocsin account create --username NAME --kind organization|person --role admin|moderator|publisher|member [--email ADDRESS]
//	tocsin account list|disable|enable|password|grant|revoke ...
//	tocsin peer add|list|remove ...
//	tocsin backup FILE
//	tocsin restore FILE
//	tocsin version
//
// Exit codes: 0 success, 1 failure, 2 bad usage, configuration or input.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/config"
)

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	env := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	var err error
	switch args[0] {
	case "serve":
		err = env.serve(ctx, args[1:])
	case "account":
		err = env.account(ctx, args[1:])
	case "peer":
		err = env.peer(ctx, args[1:])
	case "status":
		err = env.status(ctx, args[1:])
	case "alert":
		err = env.alert(ctx, args[1:])
	case "note":
		err = env.note(ctx, args[1:])
	case "circle":
		err = env.circle(ctx, args[1:])
	case "domain":
		err = env.domain(ctx, args[1:])
	case "actor":
		err = env.actor(ctx, args[1:])
	case "review":
		err = env.review(ctx, args[1:])
	case "rule":
		err = env.rule(ctx, args[1:])
	case "audit":
		err = env.audit(ctx, args[1:])
	case "report":
		err = env.report(ctx, args[1:])
	case "backup":
		err = env.backup(ctx, args[1:])
	case "restore":
		err = env.restore(ctx, args[1:])
	case "version", "--version":
		fmt.Fprintln(stdout, tocsin.Software, tocsin.Version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = &usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "tocsin:", describe(err))
	return exitCode(err)
}

// exitCode maps an error to the process exit code in one place.
func exitCode(err error) int {
	var ue *usageError
	var ce *config.Error
	switch {
	case errors.As(err, &ue), errors.As(err, &ce):
		return 2
	case tocsin.ErrorCode(err) == tocsin.EINVALID:
		return 2
	}
	return 1
}

// describe writes an error for a person: every invalid field on its own
// line.
func describe(err error) string {
	var te *tocsin.Error
	if errors.As(err, &te) && len(te.Fields) > 0 {
		s := te.Message
		for _, f := range te.Fields {
			s += fmt.Sprintf("\n  %s: %s", f.Field, f.Message)
		}
		return s
	}
	return err.Error()
}

type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

const usage = `Tocsin: a federated ActivityPub server for the electoral-integrity community.

Usage:
  tocsin serve   [--config FILE] [--domain HOST[:PORT]] [--scheme http|https] [--listen ADDR]
                 [--data-dir DIR] [--log-level LEVEL] [--log-format text|json]
  tocsin account create --username NAME --kind organization|person
                        --role admin|moderator|publisher|member [--email ADDRESS] [--display-name NAME]
                        (the password is read from standard input)
  tocsin account list [--json]
  tocsin account disable|enable --username NAME
  tocsin account password --username NAME     (the new password on standard input)
  tocsin account grant|revoke --publisher NAME --organization NAME
  tocsin peer add HANDLE|URL [--as ORG] [--trust LEVEL]   peer with another network's organisation
  tocsin peer list [--json]               peers, follow states, delivery health
  tocsin peer remove HANDLE|URL [--as ORG]
  tocsin alert create --as ORG --title T --body B --severity S --category C --country CC --tlp LEVEL
                      [--expires RFC3339] [--circle NAME] [--recipient ACTOR] [--source URL] [--by PERSON]
                      prints the new alert's ActivityPub id
  tocsin alert update ID [same flags] | resolve ID | retract ID | get ID
  tocsin alert list [--json] [--country CC] [--category C] [--severity S] [--status S] [--tlp L]
                    [--origin local|peer] [--since T] [--until T] [--limit N] [--max-id CURSOR]
  tocsin alert corroborate ID --as ORG --verdict confirmed|disputed|seen [--comment C] [--count N]
                      [--first-seen T] [--last-seen T] [--where CC]...   vote on an alert (one per organisation)
  tocsin alert sightings ID               the votes on an alert
  tocsin alert translate ID --as ORG --language L --title T --content C   offer a signed translation
  tocsin alert translations ID | accept-translation TID | reject-translation TID   [--as ORG]
  tocsin note create --as ORG --title T --body B [--summary S] [--topic T] [--country CC]
  tocsin note list
  tocsin circle set NAME --member HANDLE... | circle list | circle delete NAME
  tocsin domain set HOST trusted|review|limited|blocked [--reason R] | clear HOST | list
  tocsin domain subscribe URL|HANDLE|DOMAIN [--priority N] [--auto] [--block-only]   another instance's trust list
  tocsin domain subscriptions | subscription-preview ID | subscription-apply ID | subscription-refresh ID | unsubscribe ID
  tocsin actor set ACTOR-URL trusted|review|limited|blocked [--reason R]
  tocsin review list | approve ID | reject ID --reason R
  tocsin rule add keyword|link PATTERN | list
  tocsin report list
  tocsin audit [--actor A] [--action PREFIX] [--target T] [--limit N] [--json]
  tocsin status [--json]   is the server running, how much inbound and outbound work waits
  tocsin backup FILE       a consistent copy of the database, with the server running or not
  tocsin restore FILE      replace the database with a backup (server stopped)
  tocsin version

Every command takes --config FILE; TOCSIN_* environment variables override the file.
Management commands talk to the running server through its admin socket, or open the
database themselves when no server runs.
`
