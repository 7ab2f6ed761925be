package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/store"
)

// ResolveActor finds an actor IRI from what a person types: a handle
// (name@host, @name@host, acct:name@host), an actor URL, or a server's
// address (its NodeInfo names the organisation's account).
func (f *Federation) ResolveActor(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "":
		return "", tocsin.Errorf(tocsin.EINVALID, "a handle, actor URL or server address is required")
	case strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://"):
		u, err := url.Parse(ref)
		if err != nil || u.Host == "" {
			return "", tocsin.Errorf(tocsin.EINVALID, "%q is not a valid URL", ref)
		}
		if u.Path == "" || u.Path == "/" {
			return f.organizationOf(ctx, []string{u.Scheme}, u.Host)
		}
		a, err := f.Remote.Actor(ctx, ref, true)
		if err != nil {
			return "", &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "cannot fetch " + ref, Err: err}
		}
		return a.IRI, nil
	}
	handle := strings.TrimPrefix(strings.TrimPrefix(ref, "acct:"), "@")
	at := strings.LastIndex(handle, "@")
	if at < 0 {
		// A bare host name: the server's organisation.
		return f.organizationOf(ctx, f.schemes(), handle)
	}
	if at == 0 || at == len(handle)-1 {
		return "", tocsin.Errorf(tocsin.EINVALID, "%q is not a handle like name@host", ref)
	}
	return f.webfinger(ctx, handle[:at], handle[at+1:])
}

func (f *Federation) schemes() []string {
	if f.allowHTTP {
		return []string{"https", "http"}
	}
	return []string{"https"}
}

// webfinger resolves name@host to the actor IRI its JRD names as self.
func (f *Federation) webfinger(ctx context.Context, name, host string) (string, error) {
	var lastErr error
	for _, scheme := range f.schemes() {
		u := scheme + "://" + host + "/.well-known/webfinger?resource=" + url.QueryEscape("acct:"+name+"@"+host)
		resp, err := f.Fetch.GetJSON(ctx, u)
		if err != nil {
			lastErr = err
			continue
		}
		var jrd struct {
			Links []struct{ Rel, Type, Href string } `json:"links"`
		}
		if err := json.Unmarshal(resp.Body, &jrd); err != nil {
			return "", &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "bad WebFinger answer from " + host, Err: err}
		}
		for _, l := range jrd.Links {
			if l.Rel == "self" && (strings.Contains(l.Type, "activity+json") || strings.Contains(l.Type, "ld+json")) && l.Href != "" {
				return l.Href, nil
			}
		}
		return "", tocsin.Errorf(tocsin.ENOTFOUND, "%s@%s has no ActivityPub actor", name, host)
	}
	return "", &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "cannot reach " + host + " for WebFinger", Err: lastErr}
}

// organizationOf reads a server's NodeInfo for the account of the
// organisation that runs it (Tocsin publishes it as
// metadata.organization.account).
func (f *Federation) organizationOf(ctx context.Context, schemes []string, host string) (string, error) {
	var lastErr error
	for _, scheme := range schemes {
		resp, err := f.Fetch.GetJSON(ctx, scheme+"://"+host+"/.well-known/nodeinfo")
		if err != nil {
			lastErr = err
			continue
		}
		var index struct {
			Links []struct{ Rel, Href string } `json:"links"`
		}
		if err := json.Unmarshal(resp.Body, &index); err != nil || len(index.Links) == 0 {
			return "", tocsin.Errorf(tocsin.ENOTFOUND, "%s publishes no NodeInfo", host)
		}
		href := index.Links[len(index.Links)-1].Href
		resp, err = f.Fetch.GetJSON(ctx, href)
		if err != nil {
			return "", &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "cannot read NodeInfo of " + host, Err: err}
		}
		var ni struct {
			Metadata struct {
				Organization struct {
					Account string `json:"account"`
				} `json:"organization"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(resp.Body, &ni); err != nil || ni.Metadata.Organization.Account == "" {
			return "", tocsin.Errorf(tocsin.ENOTFOUND, "%s names no organisation account in its NodeInfo: give the organisation's handle instead", host)
		}
		if !sameHost(ni.Metadata.Organization.Account, href) {
			return "", tocsin.Errorf(tocsin.EINVALID, "%s names an organisation on another host", host)
		}
		return ni.Metadata.Organization.Account, nil
	}
	return "", &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "cannot reach " + host, Err: lastErr}
}

// AddPeer makes the local organisation org peer with the actor ref names:
// org follows it, and its follows of org are approved by rule (now, if one
// waits, and later).
func (f *Federation) AddPeer(ctx context.Context, org *store.Account, ref string) (*store.Peer, error) {
	if org.Kind != "organization" {
		return nil, tocsin.Errorf(tocsin.EINVALID, "%s is not an organisation account", org.Username)
	}
	actor, err := f.ResolveActor(ctx, ref)
	if err != nil {
		return nil, err
	}
	remote, err := f.Remote.Actor(ctx, actor, true)
	if err != nil {
		return nil, &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "cannot fetch " + actor, Err: err}
	}
	peer := &store.Peer{Actor: remote.IRI, Host: remote.Host, Local: org.ID, AddedAt: time.Now().UTC(), AddedFrom: ref}
	if err := f.DB.Update(ctx, func(t *store.Tx) error { return t.PutPeer(peer) }); err != nil {
		return nil, err
	}
	f.peersChanged()
	if _, err := f.Outbox.Follow(ctx, org, remote.IRI); err != nil {
		return nil, err
	}
	// If the peer asked first, approve it now.
	if fl, err := f.DB.Follow(ctx, f.URLs.Actor(org.Username), remote.IRI); err == nil && fl.State == store.FollowPending {
		if err := f.Outbox.ApproveFollower(ctx, org, remote.IRI, true); err != nil {
			return nil, err
		}
	}
	return peer, nil
}

// RemovePeer ends peering: org unfollows the peer and stops approving it by
// rule. The peer's existing follow of org is left to the admin.
func (f *Federation) RemovePeer(ctx context.Context, org *store.Account, ref string) error {
	actor := ref
	if _, err := f.peer(ctx, actor); err != nil {
		resolved, rerr := f.ResolveActor(ctx, ref)
		if rerr != nil {
			return rerr
		}
		actor = resolved
	}
	if _, err := f.peer(ctx, actor); err != nil {
		return tocsin.Errorf(tocsin.ENOTFOUND, "%s is not a peer", ref)
	}
	if err := f.Outbox.Unfollow(ctx, org, actor); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := f.DB.Update(ctx, func(t *store.Tx) error { return t.DeletePeer(actor) }); err != nil {
		return err
	}
	f.peersChanged()
	return nil
}

// peersChanged tells a policy that caches the peers (moderation does) to
// read them again.
func (f *Federation) peersChanged() {
	if p, ok := f.policy.(interface{ PeersChanged() }); ok {
		p.PeersChanged()
	}
}

func (f *Federation) peer(ctx context.Context, actor string) (*store.Peer, error) {
	var p *store.Peer
	err := f.DB.View(ctx, func(t *store.Tx) error {
		var err error
		p, err = t.Peer(actor)
		return err
	})
	return p, err
}

// PeerStatus is a peer with the state of both follows and delivery health.
type PeerStatus struct {
	Actor       string    `json:"actor"`
	Host        string    `json:"host"`
	Local       string    `json:"local"`
	AddedAt     time.Time `json:"added_at"`
	WeFollow    string    `json:"we_follow"`   // pending, accepted or none
	TheyFollow  string    `json:"they_follow"` // pending, accepted or none
	Backlog     int       `json:"backlog"`     // deliveries waiting for the host
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	Failures    int       `json:"consecutive_failures"`
}

// Peers lists peers with their follow states and delivery health.
func (f *Federation) Peers(ctx context.Context) ([]PeerStatus, error) {
	peers, err := f.DB.Peers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PeerStatus, 0, len(peers))
	for _, p := range peers {
		acct, err := f.DB.AccountByID(ctx, p.Local)
		if err != nil {
			return nil, err
		}
		local := f.URLs.Actor(acct.Username)
		st := PeerStatus{Actor: p.Actor, Host: p.Host, Local: acct.Username, AddedAt: p.AddedAt, WeFollow: "none", TheyFollow: "none"}
		if fl, err := f.DB.Follow(ctx, p.Actor, local); err == nil {
			st.WeFollow = fl.State
		}
		if fl, err := f.DB.Follow(ctx, local, p.Actor); err == nil {
			st.TheyFollow = fl.State
		}
		if h, err := f.DB.PeerHealthFor(ctx, p.Host); err == nil {
			st.Backlog, st.LastSuccess, st.LastError, st.LastErrorAt, st.Failures =
				h.Backlog, h.LastSuccess, h.LastError, h.LastErrorAt, h.ConsecutiveFailures
		}
		out = append(out, st)
	}
	return out, nil
}

// Settled reports whether this instance has nothing left to do: the inbox
// journal is empty and no delivery is due or in flight. Tests wait on it.
func (f *Federation) Settled(ctx context.Context) bool {
	if !f.Processor.Idle(ctx) || !f.Deliverer.Idle() {
		return false
	}
	n, err := f.DB.PendingDeliveries(ctx)
	return err == nil && n == 0
}

// String describes a peer status for logs.
func (p PeerStatus) String() string {
	return fmt.Sprintf("%s (%s): we follow %s, they follow %s, backlog %d", p.Actor, p.Local, p.WeFollow, p.TheyFollow, p.Backlog)
}
