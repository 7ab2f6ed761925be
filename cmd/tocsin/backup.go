package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/tocsin-network/tocsin/control"
	"github.com/tocsin-network/tocsin/store"
)

func (c *cli) backup(ctx context.Context, args []string) error {
	fs, cf := c.newFlagSet("backup")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"backup needs exactly one argument: the file to write"}
	}
	path, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	return c.withRunner(ctx, cf, func(r control.Runner) error {
		var res control.BackupResult
		if err := r.Run(ctx, control.OpBackup, control.BackupArgs{Path: path}, &res); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "backup written to %s (%d bytes, schema version %d)\n", res.Path, res.Bytes, res.SchemaVersion)
		return nil
	})
}

func (c *cli) restore(ctx context.Context, args []string) error {
	fs, cf := c.newFlagSet("restore")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"restore needs exactly one argument: the backup file"}
	}
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	if _, err := control.Dial(ctx, cfg.AdminSocketPath()); err == nil {
		return fmt.Errorf("the server is running: stop it before restoring (a backup can be taken while it runs)")
	}
	if err := store.Restore(ctx, pos[0], cfg.DatabasePath()); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "restored %s into %s; the previous database, if any, is kept as %s.before-restore\n",
		pos[0], cfg.DatabasePath(), cfg.DatabasePath())
	return nil
}
