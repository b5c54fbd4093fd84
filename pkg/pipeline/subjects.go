// Package pipeline is koppel's JetStream backbone: it creates the ORDERS and
// DLQ streams, runs a stage (a durable pull consumer whose handler returns an
// error and one function settles the message), and lists and replays dead
// letters.
//
// A stage handler never acks, naks or terminates a message itself. It returns
// the message to publish next, or an error; settle then publishes with a
// Nats-Msg-Id and acks only after the PubAck, naks a transient error with a
// delay that grows with the delivery count, and copies a permanent error (or
// the last allowed delivery) to koppel.dlq.<stage>.<profile> before
// terminating it.
package pipeline

import "strings"

// Stream names.
const (
	StreamOrders = "ORDERS"
	StreamDLQ    = "DLQ"
)

// Subject prefixes. A subject's last token is the profile id.
const (
	SubjectOrderPrefix = "koppel.order."
	SubjectDLQPrefix   = "koppel.dlq."
)

// Pipeline steps, as the middle token of koppel.order.<step>.<profile>.
const (
	StepRaw      = "raw"
	StepReceived = "received"
	StepCustomer = "customer"
	StepArticles = "articles"
	StepBooked   = "booked"
	// StepSkipped holds orders a stage left alone on purpose, with the
	// reason in Koppel-Skip-Reason (e.g. a shop status not imported).
	StepSkipped = "skipped"
)

// Header names carried on every koppel message.
const (
	HeaderMsgID       = "Nats-Msg-Id"
	HeaderTraceParent = "traceparent"
	HeaderProfile     = "Koppel-Profile"
	HeaderOrder       = "Koppel-Order"
	HeaderPlatform    = "Koppel-Platform"
	HeaderSource      = "Koppel-Source" // "webhook" or "poll"
	// HeaderOrderNumber carries the shop's display number (Woo number,
	// Magento increment_id) from order.received on.
	HeaderOrderNumber = "Koppel-Order-Number"
	// HeaderAttempts is set on every stage output: how many deliveries of
	// its input the stage needed.
	HeaderAttempts = "Koppel-Attempts"
	// HeaderReplayOf marks a message published by a replay: the dead
	// letter's DLQ sequence.
	HeaderReplayOf = "Koppel-Replay-Of"
	// HeaderDeliveryPrefix starts the names of the shop delivery's own
	// headers kept on order.raw, e.g. Koppel-Delivery-X-Wc-Webhook-Topic.
	HeaderDeliveryPrefix = "Koppel-Delivery-"
)

// Header names a dead letter carries besides the original message's headers.
const (
	HeaderDLQStage      = "Koppel-Dlq-Stage"
	HeaderDLQSubject    = "Koppel-Dlq-Origin-Subject"
	HeaderDLQSequence   = "Koppel-Dlq-Origin-Sequence"
	HeaderDLQDeliveries = "Koppel-Dlq-Deliveries"
	HeaderDLQError      = "Koppel-Dlq-Error"
	HeaderDLQTime       = "Koppel-Dlq-Time"
)

// OrderSubject returns koppel.order.<step>.<profile>.
func OrderSubject(step, profile string) string {
	return SubjectOrderPrefix + step + "." + profile
}

// OrderFilter returns the subject filter matching step for every profile.
func OrderFilter(step string) string {
	return SubjectOrderPrefix + step + ".*"
}

// DLQSubject returns koppel.dlq.<stage>.<profile>.
func DLQSubject(stage, profile string) string {
	return SubjectDLQPrefix + stage + "." + profile
}

// ProfileFromSubject returns the last token of a koppel subject, which is the
// profile id, or "" when the subject has no dot.
func ProfileFromSubject(subject string) string {
	i := strings.LastIndexByte(subject, '.')
	if i < 0 {
		return ""
	}
	return subject[i+1:]
}
