package delivery

// Observer is told about the delivery workers for metrics and readiness
// (package metrics implements it). Its methods must be cheap and safe for
// concurrent use. Options.Observer nil means no one is told.
type Observer interface {
	// Delivery counts one attempt's outcome for host: "delivered",
	// "retry" or "dead".
	Delivery(host, outcome string)
	// Beat says the named worker loop is alive; it is called at least
	// once per loop turn (the scheduler turns at least every 30s).
	Beat(worker string)
	// Stopped says the named worker's Run has returned.
	Stopped(worker string)
}

// WorkerName is the worker name the Deliverer gives its Observer.
const WorkerName = "deliverer"

type noObserver struct{}

func (noObserver) Delivery(string, string) {}
func (noObserver) Beat(string)             {}
func (noObserver) Stopped(string)          {}
