package store

// Translations of alerts that peer organisations offer (see FEDERATION.md
// "Signed translations"): held pending until a publisher of the alert's
// organisation accepts or rejects them.
//
// Buckets (created by migration 9):
//
//	translations            key: Seq (ULID, time-sorted)   value: JSON Translation
//	translations_by_alert   key: alert IRI + 0x00 + Seq     value: empty
//	                        order: arrival within an alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

var (
	bucketTranslations        = []byte("translations")
	bucketTranslationsByAlert = []byte("translations_by_alert")
)

// States of a Translation.
const (
	TranslationPending  = "pending"
	TranslationAccepted = "accepted"
	TranslationRejected = "rejected"
)

// Translation is an offered translation of an alert into one language. The
// JSON tags define the stored format.
type Translation struct {
	Seq   string `json:"seq"`   // local ID, set by PutTranslation when empty
	ID    string `json:"id"`    // the translation object's IRI (the translator's)
	Offer string `json:"offer"` // the Offer activity's IRI
	Alert string `json:"alert"` // the translated alert's IRI
	// Translator is the translating organisation's actor IRI: the Offer's
	// actor, the object's attributedTo and the controller of its proof.
	Translator string `json:"translator"`
	Language   string `json:"language"` // BCP 47
	Name       string `json:"name,omitempty"`
	Summary    string `json:"summary,omitempty"`
	Content    string `json:"content"` // sanitised HTML
	// Raw is the translation object as signed by the translator, proof
	// included: anyone may verify it again.
	Raw        json.RawMessage `json:"raw"`
	State      string          `json:"state"`
	ReceivedAt time.Time       `json:"received_at"`
	DecidedAt  time.Time       `json:"decided_at,omitzero"`
	DecidedBy  string          `json:"decided_by,omitempty"`
}

func translationAlertKey(alertIRI, seq string) []byte {
	k := make([]byte, 0, len(alertIRI)+1+len(seq))
	k = append(k, alertIRI...)
	k = append(k, 0)
	return append(k, seq...)
}

// PutTranslation stores tr (a new one gets a Seq) and indexes it by alert.
func (t *Tx) PutTranslation(tr *Translation) error {
	if tr.Alert == "" {
		return fmt.Errorf("translation %s: no alert", tr.ID)
	}
	if tr.Seq == "" {
		tr.Seq = t.NewID()
	}
	b, err := bucket(t.tx, bucketTranslations)
	if err != nil {
		return err
	}
	idx, err := bucket(t.tx, bucketTranslationsByAlert)
	if err != nil {
		return err
	}
	if err := putJSON(b, []byte(tr.Seq), tr); err != nil {
		return err
	}
	return idx.Put(translationAlertKey(tr.Alert, tr.Seq), nil)
}

// Translation returns a translation by Seq, or an error wrapping ErrNotFound.
func (t *Tx) Translation(seq string) (*Translation, error) {
	b, err := bucket(t.tx, bucketTranslations)
	if err != nil {
		return nil, err
	}
	tr, err := getJSON[Translation](b, []byte(seq))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("translation %s: %w", seq, ErrNotFound)
	}
	return tr, err
}

// Translations returns the translations offered for an alert, oldest first.
func (t *Tx) Translations(alertIRI string) ([]*Translation, error) {
	idx, err := bucket(t.tx, bucketTranslationsByAlert)
	if err != nil {
		return nil, err
	}
	prefix := translationAlertKey(alertIRI, "")
	var out []*Translation
	c := idx.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		tr, err := t.Translation(string(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, tr)
	}
	return out, nil
}

// Translation returns a translation by Seq.
func (db *DB) Translation(ctx context.Context, seq string) (*Translation, error) {
	return viewValue(ctx, db, func(t *Tx) (*Translation, error) { return t.Translation(seq) })
}

// Translations returns the translations offered for an alert, oldest first.
func (db *DB) Translations(ctx context.Context, alertIRI string) ([]*Translation, error) {
	return viewValue(ctx, db, func(t *Tx) ([]*Translation, error) { return t.Translations(alertIRI) })
}
