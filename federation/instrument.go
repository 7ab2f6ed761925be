package federation

import "github.com/tocsin-network/tocsin/federation/delivery"

// Instruments is told what the federation core does, for metrics and
// /readyz (package metrics implements it). Its methods must be cheap and
// safe for concurrent use. Options.Instruments nil means no one is told.
type Instruments interface {
	delivery.Observer
	// InboundActivity counts one inbound POST by its activity type (as
	// sent: bound the label yourself) and outcome: "accepted",
	// "duplicate", "ignored" or "refused:<class>" with class one of
	// malformed, signature, policy, no_inbox, unavailable.
	InboundActivity(activityType, outcome string)
	// SignatureFailure counts a refused inbound signature by its reason
	// (signature.Error.Reason; classify it yourself).
	SignatureFailure(reason string)
	// FetchError counts a failed fetch from a remote server.
	FetchError(err error)
}

// ProcessorWorker is the worker name the Processor gives its Instruments.
const ProcessorWorker = "processor"

type noInstruments struct{}

func (noInstruments) Delivery(string, string)        {}
func (noInstruments) Beat(string)                    {}
func (noInstruments) Stopped(string)                 {}
func (noInstruments) InboundActivity(string, string) {}
func (noInstruments) SignatureFailure(string)        {}
func (noInstruments) FetchError(error)               {}

// refusalClass names the class of an inbox refusal by its status.
func refusalClass(status int) string {
	switch status {
	case 400, 413:
		return "malformed"
	case 401:
		return "signature"
	case 403:
		return "policy"
	case 404:
		return "no_inbox"
	default:
		return "unavailable"
	}
}
