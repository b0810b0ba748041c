package debresolve

// SetMaxSteps lowers the work bound for a test and returns the function
// that restores it.
func SetMaxSteps(n int) (restore func()) {
	old := maxSteps
	maxSteps = n
	return func() { maxSteps = old }
}
