package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// migration upgrades the schema by exactly one version. Up runs in the same
// write transaction that records Version in meta/schema_version, so each
// migration is atomic: the file is either at Version with all of Up's changes
// or at Version-1 untouched. Up must be deterministic and must not do I/O
// outside tx.
type migration struct {
	Version int
	Name    string
	Up      func(tx *bolt.Tx) error
}

// migrations is the schema history, oldest first, versions 1, 2, 3...
//
// To change the schema, APPEND a migration with the next version number and
// describe the new buckets at the top of their file. Never edit, renumber or
// remove a migration that has shipped: files in the field have recorded it.
var migrations = []migration{
	{Version: 1, Name: "create meta and accounts buckets", Up: createBuckets(
		bucketMeta, bucketAccounts, bucketAccountsByUsername, bucketAccountsByEmail,
	)},
	{Version: 2, Name: "create federation buckets: objects, follows, remote actors, inbox journal", Up: createBuckets(
		bucketObjects, bucketObjectsBySeq, bucketOutbox, bucketActivities,
		bucketFollows, bucketFollowsByFollower,
		bucketRemoteActors, bucketRemoteKeys,
		bucketInboxJournal, bucketSeen, bucketReports, bucketPeers, bucketCircles,
	)},
	{Version: 3, Name: "create delivery queue buckets: jobs, due index, bodies, dead letters, peer health", Up: createBuckets(
		bucketDeliveries, bucketDeliveriesDue, bucketDeliveryBodies, bucketDeliveryRefs,
		bucketDeliveriesDead, bucketPeerHealth,
	)},
	{Version: 4, Name: "create alert and note buckets with their listing indexes", Up: createBuckets(
		bucketAlerts, bucketAlertsBySeq, bucketAlertsByCountry, bucketAlertsByCategory,
		bucketAlertsBySeverity, bucketAlertsByStatus, bucketAlertsByTLP,
		bucketAlertsByModeration, bucketAlertsByOrigin, bucketAlertsByExpiry,
		bucketNotes, bucketNotesBySeq, bucketNotesByCountry, bucketNotesByTopic,
		bucketNotesByModeration, bucketNotesByOrigin, bucketListingCounts, bucketListingCodes,
	)},
	{Version: 5, Name: "create OAuth buckets: apps, codes, tokens, refresh tokens, tokens by account", Up: createBuckets(
		bucketOAuthApps, bucketOAuthCodes, bucketOAuthTokens, bucketOAuthRefreshTokens, bucketOAuthTokensByAccount,
	)},
	{Version: 6, Name: "create moderation buckets: trust, review queue, rejections, rules, audit log", Up: createBuckets(
		bucketDomainTrust, bucketActorTrust, bucketReviewQueue, bucketRejections, bucketModRules, bucketAuditLog,
	)},
	{Version: 7, Name: "create timeline, reaction and notification buckets", Up: createBuckets(
		bucketHomeTimeline, bucketPublicTimeline, bucketTagTimeline, bucketFavourites, bucketFavouritesByObject,
		bucketReblogsByObject, bucketBookmarks, bucketNotifications, bucketIdempotency, bucketStatusEdits,
		bucketReplies, bucketLocalTimeline,
	)},
	{Version: 8, Name: "create marker and account settings buckets", Up: createBuckets(
		bucketMarkers, bucketAccountSettings, bucketRemoteActorIDs,
	)},
	{Version: 9, Name: "create corroboration and translation buckets: sightings, translations by alert", Up: createBuckets(
		bucketSightings, bucketTranslations, bucketTranslationsByAlert,
	)},
	{Version: 10, Name: "create trust list buckets: subscriptions, fetched and applied lists", Up: createBuckets(
		bucketTrustSubscriptions, bucketTrustListFetched, bucketTrustListApplied,
	)},
	{Version: 11, Name: "create the corroboration schedule bucket: alerts whose Update is due", Up: createBuckets(
		bucketSightingsDue,
	)},
	{Version: 12, Name: "count live public local objects, per account and in all", Up: countPublicObjects},
}

// countPublicObjects sets the public object counters PutObject keeps from
// the objects already stored.
func countPublicObjects(tx *bolt.Tx) error {
	t := &Tx{tx: tx}
	return tx.Bucket(bucketObjects).ForEach(func(k, v []byte) error {
		var o struct {
			Local     bool      `json:"local"`
			AccountID string    `json:"account_id"`
			Public    bool      `json:"public"`
			Deleted   time.Time `json:"deleted"`
		}
		if err := json.Unmarshal(v, &o); err != nil {
			return fmt.Errorf("object %s: %w", k, err)
		}
		if o.Local && o.Public && o.Deleted.IsZero() {
			return t.addPublicCount(o.AccountID, 1)
		}
		return nil
	})
}

// latestSchemaVersion is the schema version this binary writes.
func latestSchemaVersion() int { return migrations[len(migrations)-1].Version }

// createBuckets returns a migration step creating the named top-level buckets.
func createBuckets(names ...[]byte) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		for _, name := range names {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	}
}

// migrate brings the file up to latestSchemaVersion, one transaction per
// migration, and records the resulting version in db.schemaVersion.
func (db *DB) migrate(ctx context.Context) error {
	var current int
	if err := db.view(ctx, func(tx *bolt.Tx) error {
		var err error
		current, err = readSchemaVersion(tx)
		return err
	}); err != nil {
		return fmt.Errorf("store: %s: %w", db.path, err)
	}
	latest := latestSchemaVersion()
	switch {
	case current > latest:
		return fmt.Errorf("store: %s has schema version %d, this binary supports up to %d: %w",
			db.path, current, latest, ErrSchemaTooNew)
	case current == latest:
		db.schemaVersion = current
		return nil
	case db.readOnly:
		return fmt.Errorf("store: %s has schema version %d, this binary needs %d: open it read-write once to migrate",
			db.path, current, latest)
	}
	for i, m := range migrations {
		if m.Version != i+1 {
			return fmt.Errorf("store: migration list is broken: entry %d has version %d", i, m.Version)
		}
		if m.Version <= current {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			if err := m.Up(tx); err != nil {
				return err
			}
			return writeSchemaVersion(tx, m.Version)
		})
		if err != nil {
			return fmt.Errorf("store: %s: migration %d (%s): %w", db.path, m.Version, m.Name, err)
		}
		db.log.Info("applied schema migration", "version", m.Version, "name", m.Name)
		db.schemaVersion = m.Version
	}
	return nil
}
