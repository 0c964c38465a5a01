package integrations

// StepFailure is what the failure of a story's step shares, whichever the
// story: the step, what to tell the customer, whether putting things back
// failed too, and the cause. BookingError and CheckoutError add what
// became of the seat hold or the order.
type StepFailure struct {
	// Step is the step that failed (StepHold, StepDebit, StepConfirm;
	// StepReserve, StepCharge, StepMarkPaid).
	Step string
	// Outcome is what to tell the customer.
	Outcome Outcome
	// Stuck is set when the compensating action failed too: a booking is
	// still stored and paid for, or an order's stock still set aside.
	Stuck bool
	// Err is the cause: an *outbound.Error, a refusal of the airline or
	// the shop, or the database's error.
	Err error
}

// Unwrap returns the cause.
func (e *StepFailure) Unwrap() error { return e.Err }
