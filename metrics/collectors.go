package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin-network/tocsin/store"
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// storeCollector reads the store on each scrape: queue depths in one read
// transaction (bounded counts and per-peer counters), bbolt's statistics
// and the file size (no I/O beyond a stat).
type storeCollector struct {
	db *store.DB

	up, journal, backlog, dead, peers                                               *prometheus.Desc
	fileSize, readTx, openReadTx, freePages, pendingPages, freeAlloc, freelistInuse *prometheus.Desc
	pageAlloc, writes, writeSeconds, spillSeconds, rebalances, splits               *prometheus.Desc
}

func newStoreCollector(db *store.DB) *storeCollector {
	return &storeCollector{
		db:            db,
		up:            desc("tocsin_store_up", "1 when the store answered the scrape's read, else 0."),
		journal:       desc("tocsin_inbox_journal_depth", "Inbound activities acknowledged but not yet applied (counted up to 100000)."),
		backlog:       desc("tocsin_delivery_queue_depth", "Outbound delivery jobs queued (all peers)."),
		dead:          desc("tocsin_delivery_dead_letters", "Dead letters kept (deliveries given up on; counted up to 100000)."),
		peers:         desc("tocsin_delivery_peer_hosts", "Peer hosts with delivery records."),
		fileSize:      desc("tocsin_bbolt_file_size_bytes", "Size of the database file."),
		readTx:        desc("tocsin_bbolt_read_tx_total", "Read transactions started."),
		openReadTx:    desc("tocsin_bbolt_open_read_tx", "Read transactions open now."),
		freePages:     desc("tocsin_bbolt_free_pages", "Free pages in the database file."),
		pendingPages:  desc("tocsin_bbolt_pending_pages", "Pages freed but still held by open read transactions."),
		freeAlloc:     desc("tocsin_bbolt_free_alloc_bytes", "Bytes allocated in free pages."),
		freelistInuse: desc("tocsin_bbolt_freelist_inuse_bytes", "Bytes used by the free list."),
		pageAlloc:     desc("tocsin_bbolt_page_alloc_bytes_total", "Bytes of pages allocated by write transactions."),
		writes:        desc("tocsin_bbolt_writes_total", "Pages written to disk by commits."),
		writeSeconds:  desc("tocsin_bbolt_write_seconds_total", "Time spent writing pages to disk."),
		spillSeconds:  desc("tocsin_bbolt_spill_seconds_total", "Time spent spilling nodes at commit."),
		rebalances:    desc("tocsin_bbolt_rebalances_total", "Node rebalances at commit."),
		splits:        desc("tocsin_bbolt_splits_total", "Node splits at commit."),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.journal, c.backlog, c.dead, c.peers,
		c.fileSize, c.readTx, c.openReadTx, c.freePages, c.pendingPages, c.freeAlloc, c.freelistInuse,
		c.pageAlloc, c.writes, c.writeSeconds, c.spillSeconds, c.rebalances, c.splits} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q, err := c.db.QueueStats(ctx, journalCountLimit)
	if err != nil {
		gauge(c.up, 0)
		return // closed: bbolt's stats would be stale too
	}
	gauge(c.up, 1)
	gauge(c.journal, float64(q.JournalDepth))
	gauge(c.backlog, float64(q.DeliveryBacklog))
	gauge(c.dead, float64(q.DeadLetters))
	gauge(c.peers, float64(q.Peers))
	if size, err := c.db.FileSize(); err == nil {
		gauge(c.fileSize, float64(size))
	}
	s := c.db.BoltStats()
	counter(c.readTx, float64(s.TxN))
	gauge(c.openReadTx, float64(s.OpenTxN))
	gauge(c.freePages, float64(s.FreePageN))
	gauge(c.pendingPages, float64(s.PendingPageN))
	gauge(c.freeAlloc, float64(s.FreeAlloc))
	gauge(c.freelistInuse, float64(s.FreelistInuse))
	t := &s.TxStats
	counter(c.pageAlloc, float64(t.GetPageAlloc()))
	counter(c.writes, float64(t.GetWrite()))
	counter(c.writeSeconds, t.GetWriteTime().Seconds())
	counter(c.spillSeconds, t.GetSpillTime().Seconds())
	counter(c.rebalances, float64(t.GetRebalance()))
	counter(c.splits, float64(t.GetSplit()))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// workerCollector reports the background workers' heartbeats.
type workerCollector struct{ h *Health }

var (
	workerUp  = desc("tocsin_worker_up", "1 while the background worker runs, 0 once stopped or before it starts.", "worker")
	workerAge = desc("tocsin_worker_heartbeat_age_seconds", "Seconds since the worker's last heartbeat.", "worker")
)

func (c *workerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- workerUp; ch <- workerAge }

func (c *workerCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	for _, w := range c.h.Workers() {
		ch <- prometheus.MustNewConstMetric(workerUp, prometheus.GaugeValue, b2f(w.Up), w.Name)
		if !w.LastBeat.IsZero() {
			ch <- prometheus.MustNewConstMetric(workerAge, prometheus.GaugeValue, now.Sub(w.LastBeat).Seconds(), w.Name)
		}
	}
}
