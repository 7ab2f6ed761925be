package store

// Circles: named sets of peer organisation actors that TLP:AMBER alerts are
// shared with. Admins manage them.
//
// Buckets:
//   circles   lowercased name -> JSON Circle

import (
	"context"
	"fmt"
	"strings"
	"time"
)

var bucketCircles = []byte("circles")

// Circle is a named audience for TLP:AMBER.
type Circle struct {
	Name      string    `json:"name"`
	Members   []string  `json:"members"` // organisation actor IRIs
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PutCircle stores or replaces a circle.
func (t *Tx) PutCircle(c *Circle) error {
	b, err := bucket(t.tx, bucketCircles)
	if err != nil {
		return err
	}
	return putJSON(b, []byte(strings.ToLower(c.Name)), c)
}

// Circle returns a circle by name (case-insensitive), or ErrNotFound.
func (t *Tx) Circle(name string) (*Circle, error) {
	b, err := bucket(t.tx, bucketCircles)
	if err != nil {
		return nil, err
	}
	c, err := getJSON[Circle](b, []byte(strings.ToLower(name)))
	if err == ErrNotFound {
		return nil, fmt.Errorf("circle %q: %w", name, ErrNotFound)
	}
	return c, err
}

// DeleteCircle removes a circle.
func (t *Tx) DeleteCircle(name string) error {
	b, err := bucket(t.tx, bucketCircles)
	if err != nil {
		return err
	}
	return b.Delete([]byte(strings.ToLower(name)))
}

// Circle returns a circle by name, or ErrNotFound.
func (db *DB) Circle(ctx context.Context, name string) (*Circle, error) {
	return viewValue(ctx, db, func(t *Tx) (*Circle, error) { return t.Circle(name) })
}

// Circles lists every circle, by name.
func (db *DB) Circles(ctx context.Context) ([]*Circle, error) {
	var out []*Circle
	err := db.View(ctx, func(t *Tx) error {
		b, err := bucket(t.tx, bucketCircles)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			c, err := getJSON[Circle](b, k)
			if err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}
