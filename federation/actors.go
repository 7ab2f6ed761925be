package federation

import (
	"crypto/ed25519"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/integrity"
	"github.com/tocsin-network/tocsin/store"
)

// ActorInfo describes a local account as an ActivityPub actor: an
// Organization for a member network, a Person otherwise. Its Ed25519 key,
// which signs its objects' integrity proofs, is listed under
// assertionMethod (an account without one lists none).
func ActorInfo(u URLs, a *store.Account) ap.ActorInfo {
	typ := "Person"
	if a.Kind == "organization" {
		typ = "Organization"
	}
	actor := u.Actor(a.Username)
	name := a.DisplayName
	if name == "" {
		name = a.Username
	}
	var keys []ap.Multikey
	if priv, err := integrity.DecodePrivateKey(a.Ed25519Key); err == nil {
		keys = []ap.Multikey{{ID: u.ProofKeyID(actor), Controller: actor, PublicKeyMultibase: integrity.EncodePublicKey(priv.Public().(ed25519.PublicKey))}}
	}
	return ap.ActorInfo{
		ID:                        actor,
		Type:                      typ,
		PreferredUsername:         a.Username,
		Name:                      name,
		Summary:                   a.Summary,
		URL:                       u.Profile(a.Username),
		Inbox:                     u.Inbox(a.Username),
		Outbox:                    u.Outbox(a.Username),
		Followers:                 u.Followers(a.Username),
		Following:                 u.Following(a.Username),
		SharedInbox:               u.SharedInbox(),
		ManuallyApprovesFollowers: a.ManuallyApprovesFollowers,
		Discoverable:              a.Discoverable,
		Published:                 a.CreatedAt,
		KeyID:                     u.KeyID(actor),
		PublicKeyPEM:              a.PublicKeyPEM,
		AssertionMethod:           keys,
	}
}

// InstanceActorInfo describes the instance actor, an Application that signs
// our fetches (authorized-fetch peers require a signed GET). Its
// preferredUsername is the host, as Mastodon's is.
func InstanceActorInfo(u URLs, name string, key *store.InstanceKey) ap.ActorInfo {
	actor := u.InstanceActor()
	return ap.ActorInfo{
		ID:                        actor,
		Type:                      "Application",
		PreferredUsername:         u.Host(),
		Name:                      name,
		URL:                       u.Base + "/about",
		Inbox:                     actor + "/inbox",
		Outbox:                    actor + "/outbox",
		SharedInbox:               u.SharedInbox(),
		ManuallyApprovesFollowers: true,
		Published:                 key.CreatedAt,
		KeyID:                     u.KeyID(actor),
		PublicKeyPEM:              key.PublicKeyPEM,
		TrustList:                 u.TrustList(),
	}
}
