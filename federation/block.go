package federation

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/tocsin-network/tocsin/store"
)

// RemoveDomain removes everything a blocked domain left here: its objects
// (and their alert and note records), follow relations with its actors,
// and the actors themselves. It runs in one transaction.
func (f *Federation) RemoveDomain(ctx context.Context, host string) error {
	host = strings.ToLower(host)
	var removed int
	err := f.DB.Update(ctx, func(t *store.Tx) error {
		iris, err := t.ObjectsWhere(func(raw []byte) bool {
			var o struct {
				AttributedTo string `json:"attributed_to"`
				ReceivedFrom string `json:"received_from"`
				IRI          string `json:"iri"`
			}
			return json.Unmarshal(raw, &o) == nil &&
				(strings.EqualFold(o.ReceivedFrom, host) || hostOf(o.AttributedTo) == host || hostOf(o.IRI) == host)
		})
		if err != nil {
			return err
		}
		for _, iri := range iris {
			if err := t.RemoveObject(iri); err != nil {
				return err
			}
			if _, err := t.Alert(iri); err == nil {
				if err := t.DeleteAlert(iri); err != nil {
					return err
				}
			}
			if _, err := t.Note(iri); err == nil {
				if err := t.DeleteNote(iri); err != nil {
					return err
				}
			}
		}
		removed = len(iris)
		actors, err := t.RemoteActorsOn(host)
		if err != nil {
			return err
		}
		for _, actor := range actors {
			if err := f.Processor.forgetActorTx(t, actor); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		f.log.InfoContext(ctx, "blocked domain's content removed", "domain", host, "objects", removed)
	}
	return err
}
