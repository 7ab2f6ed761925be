package store

// Peers: the organisation actors of other member networks this instance
// peers with (`tocsin peer add`). Their follows of our organisation are
// approved automatically.
//
// Buckets:
//   peers   actor IRI -> JSON Peer

import (
	"context"
	"fmt"
	"time"
)

var bucketPeers = []byte("peers")

// Peer is a peered organisation actor.
type Peer struct {
	Actor     string    `json:"actor"`
	Host      string    `json:"host"`
	Local     string    `json:"local"` // the local organisation account ID that follows it
	AddedAt   time.Time `json:"added_at"`
	AddedFrom string    `json:"added_from,omitempty"` // what the admin typed
}

// PutPeer stores a peer.
func (t *Tx) PutPeer(p *Peer) error {
	b, err := bucket(t.tx, bucketPeers)
	if err != nil {
		return err
	}
	return putJSON(b, []byte(p.Actor), p)
}

// Peer returns a peer by actor IRI, or ErrNotFound.
func (t *Tx) Peer(actor string) (*Peer, error) {
	b, err := bucket(t.tx, bucketPeers)
	if err != nil {
		return nil, err
	}
	p, err := getJSON[Peer](b, []byte(actor))
	if err == ErrNotFound {
		return nil, fmt.Errorf("peer %s: %w", actor, ErrNotFound)
	}
	return p, err
}

// DeletePeer removes a peer.
func (t *Tx) DeletePeer(actor string) error {
	b, err := bucket(t.tx, bucketPeers)
	if err != nil {
		return err
	}
	return b.Delete([]byte(actor))
}

// Peers lists every peer.
func (db *DB) Peers(ctx context.Context) ([]*Peer, error) {
	var out []*Peer
	err := db.View(ctx, func(t *Tx) error {
		b, err := bucket(t.tx, bucketPeers)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			p, err := getJSON[Peer](b, k)
			if err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}
