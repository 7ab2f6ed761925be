// Package control runs management operations (accounts now; peers, alerts,
// moderation later) the same way whether the server is running or not. A
// running server owns the bbolt file, so it serves the operations on a local
// admin socket in its data directory (mode 0600: the instance's user only);
// when no server answers there, the CLI opens the file itself and runs the
// very same Ops in its own process. Admins never stop an instance to manage
// it.
package control

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
)

// Operation names.
const (
	OpAccountCreate   = "account.create"
	OpAccountList     = "account.list"
	OpAccountDisable  = "account.disable"
	OpAccountEnable   = "account.enable"
	OpAccountPassword = "account.password"
	OpAccountGrant    = "account.grant"
	OpAccountRevoke   = "account.revoke"
	OpBackup          = "backup"
	OpPing            = "ping"
	OpPeerAdd         = "peer.add"
	OpPeerList        = "peer.list"
	OpPeerRemove      = "peer.remove"
	OpStatus          = "status"
)

// Status is what `tocsin status` reports: whether a server runs and how
// much work waits.
type Status struct {
	Server        bool  `json:"server"`
	SchemaVersion int   `json:"schema_version"`
	Accounts      int   `json:"accounts"`
	LocalObjects  int64 `json:"local_objects"`
	InboxJournal  int   `json:"inbox_journal"`      // inbound activities not yet applied
	Deliveries    int   `json:"pending_deliveries"` // outbound jobs not yet delivered
}

// Ops executes management operations against one instance's services.
type Ops struct {
	Accounts   *account.Service
	DB         *store.DB
	Federation *federation.Federation
	// DefaultOrg is the organisation account that peers when --as is not
	// given (config instance.contact_account).
	DefaultOrg string
	// Publish is the publishing service; Languages the instance's, first is
	// the default of new alerts and notes.
	Publish    *publish.Service
	Moderation *moderation.Service
	Languages  []string
	Log        *slog.Logger
	// Server is true when Ops runs inside the serving process.
	Server bool
}

// AccountView is an account as management commands show it: never the
// password hash or the private key.
type AccountView struct {
	ID          string   `json:"id"`
	Username    string   `json:"username"`
	Kind        string   `json:"kind"`
	Role        string   `json:"role"`
	Email       string   `json:"email,omitempty"`
	DisplayName string   `json:"display_name,omitempty"`
	Disabled    bool     `json:"disabled"`
	ActsFor     []string `json:"acts_for,omitempty"`
	CreatedAt   string   `json:"created_at"`
}

// UsernameArgs names one account.
type UsernameArgs struct {
	Username string `json:"username"`
}

// PasswordArgs resets a password.
type PasswordArgs struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// GrantArgs lets a publisher act for an organisation (or revokes it).
type GrantArgs struct {
	Publisher    string `json:"publisher"`
	Organization string `json:"organization"`
}

// BackupArgs names the file a backup is written to (absolute path).
type BackupArgs struct {
	Path string `json:"path"`
}

// PeerArgs names a peer (a handle, actor URL or server address) and the
// local organisation that peers with it ("" = the default). Trust, when
// set, is the trust level given to the peer's domain at once.
type PeerArgs struct {
	Ref   string `json:"ref"`
	As    string `json:"as,omitempty"`
	Trust string `json:"trust,omitempty"`
}

// BackupResult reports a finished backup.
type BackupResult struct {
	Path          string `json:"path"`
	Bytes         int64  `json:"bytes"`
	SchemaVersion int    `json:"schema_version"`
}

// Do runs one operation with JSON arguments and returns its result.
func (o *Ops) Do(ctx context.Context, op string, args json.RawMessage) (any, error) {
	res, err := o.do(ctx, op, args)
	if err == nil {
		o.audit(ctx, op, args)
	}
	return res, err
}

func (o *Ops) do(ctx context.Context, op string, args json.RawMessage) (any, error) {
	if res, ok, err := o.doAlerts(ctx, op, args); ok {
		return res, err
	}
	if res, ok, err := o.doCorroboration(ctx, op, args); ok { // corroboration.go
		return res, err
	}
	if res, ok, err := o.doModeration(ctx, op, args); ok {
		return res, err
	}
	if res, ok, err := o.doTrustLists(ctx, op, args); ok {
		return res, err
	}
	switch op {
	case OpPing:
		return map[string]bool{"server": o.Server}, nil
	case OpStatus:
		st := Status{Server: o.Server, SchemaVersion: o.DB.SchemaVersion()}
		var err error
		if st.Accounts, err = o.DB.CountAccounts(ctx); err != nil {
			return nil, err
		}
		if st.LocalObjects, err = o.DB.CountLocalObjects(ctx); err != nil {
			return nil, err
		}
		if st.InboxJournal, err = o.DB.JournalLength(ctx); err != nil {
			return nil, err
		}
		if st.Deliveries, err = o.DB.PendingDeliveries(ctx); err != nil {
			return nil, err
		}
		return st, nil
	case OpAccountCreate:
		var in account.CreateInput
		if err := decode(args, &in); err != nil {
			return nil, err
		}
		a, err := o.Accounts.Create(ctx, in)
		if err != nil {
			return nil, err
		}
		return view(a, o.idsToNames(ctx, a.ActsFor)), nil
	case OpAccountList:
		all, err := o.Accounts.List(ctx)
		if err != nil {
			return nil, err
		}
		names := make(map[string]string, len(all))
		for _, a := range all {
			names[a.ID] = a.Username
		}
		out := make([]AccountView, 0, len(all))
		for _, a := range all {
			acts := make([]string, 0, len(a.ActsFor))
			for _, id := range a.ActsFor {
				acts = append(acts, names[id])
			}
			out = append(out, view(a, acts))
		}
		return out, nil
	case OpAccountDisable, OpAccountEnable:
		var in UsernameArgs
		if err := decode(args, &in); err != nil {
			return nil, err
		}
		a, err := o.Accounts.SetDisabled(ctx, in.Username, op == OpAccountDisable)
		if err != nil {
			return nil, err
		}
		return view(a, o.idsToNames(ctx, a.ActsFor)), nil
	case OpAccountPassword:
		var in PasswordArgs
		if err := decode(args, &in); err != nil {
			return nil, err
		}
		return map[string]string{"username": in.Username}, o.Accounts.ResetPassword(ctx, in.Username, in.Password)
	case OpAccountGrant, OpAccountRevoke:
		var in GrantArgs
		if err := decode(args, &in); err != nil {
			return nil, err
		}
		var err error
		if op == OpAccountGrant {
			err = o.Accounts.Grant(ctx, in.Publisher, in.Organization)
		} else {
			err = o.Accounts.Revoke(ctx, in.Publisher, in.Organization)
		}
		return in, err
	case OpPeerAdd, OpPeerRemove:
		var in PeerArgs
		if err := decode(args, &in); err != nil {
			return nil, err
		}
		org, err := o.organization(ctx, in.As)
		if err != nil {
			return nil, err
		}
		if op == OpPeerRemove {
			return in, o.Federation.RemovePeer(ctx, org, in.Ref)
		}
		peer, err := o.Federation.AddPeer(ctx, org, in.Ref)
		if err != nil || in.Trust == "" {
			return peer, err
		}
		_, err = o.Moderation.SetDomainTrust(ctx, "cli", peer.Host, in.Trust, "peer", "")
		return peer, err
	case OpPeerList:
		return o.Federation.Peers(ctx)
	case OpBackup:
		var in BackupArgs
		if err := decode(args, &in); err != nil {
			return nil, err
		}
		if !filepath.IsAbs(in.Path) {
			return nil, tocsin.Invalid(tocsin.FieldError{Field: "path", Message: "must be an absolute path"})
		}
		n, err := o.DB.BackupToFile(ctx, in.Path)
		if err != nil {
			return nil, fmt.Errorf("backup to %s: %w", in.Path, err)
		}
		o.Log.InfoContext(ctx, "backup written", "path", in.Path, "bytes", n)
		return BackupResult{Path: in.Path, Bytes: n, SchemaVersion: o.DB.SchemaVersion()}, nil
	}
	return nil, tocsin.Errorf(tocsin.EINVALID, "unknown operation %q", op)
}

// organization returns the named organisation account, or the default one:
// the configured contact account, else the only organisation there is.
func (o *Ops) organization(ctx context.Context, name string) (*store.Account, error) {
	if name == "" {
		name = o.DefaultOrg
	}
	if name != "" {
		a, err := o.Accounts.Get(ctx, name)
		if err != nil {
			return nil, err
		}
		if a.Kind != account.KindOrganization {
			return nil, tocsin.Errorf(tocsin.EINVALID, "%s is not an organisation account", name)
		}
		return a, nil
	}
	all, err := o.Accounts.List(ctx)
	if err != nil {
		return nil, err
	}
	var orgs []*store.Account
	for _, a := range all {
		if a.Kind == account.KindOrganization && !a.Disabled {
			orgs = append(orgs, a)
		}
	}
	switch len(orgs) {
	case 0:
		return nil, tocsin.Errorf(tocsin.EINVALID, "no organisation account yet: create one with `tocsin account create --kind organization`")
	case 1:
		return orgs[0], nil
	}
	return nil, tocsin.Errorf(tocsin.EINVALID, "several organisation accounts: say which with --as")
}

func (o *Ops) idsToNames(ctx context.Context, ids []string) []string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		if a, err := o.DB.AccountByID(ctx, id); err == nil {
			names = append(names, a.Username)
		}
	}
	return names
}

func decode(args json.RawMessage, v any) error {
	if len(args) == 0 {
		return tocsin.Errorf(tocsin.EINVALID, "missing arguments")
	}
	if err := json.Unmarshal(args, v); err != nil {
		return tocsin.Errorf(tocsin.EINVALID, "bad arguments: %v", err)
	}
	return nil
}

func view(a *store.Account, actsFor []string) AccountView {
	return AccountView{
		ID: a.ID, Username: a.Username, Kind: a.Kind, Role: a.Role, Email: a.Email,
		DisplayName: a.DisplayName, Disabled: a.Disabled, ActsFor: actsFor,
		CreatedAt: a.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
	}
}
