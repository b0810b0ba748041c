package budget

import "fmt"

// Error says that an input ran over a budget. Callers wrap it with the
// input (file, blob, entry) it is about.
type Error struct {
	// Budget names the limit, as docs/inputs.md does (e.g. "tar entries").
	Budget string
	// Limit is the budget's value; Got what the input reached (at least
	// Limit+1 when the input was refused as soon as it went over).
	Limit, Got int64
}

func (e *Error) Error() string {
	return fmt.Sprintf("over the budget for %s: %d, at most %d are allowed (see docs/inputs.md)", e.Budget, e.Got, e.Limit)
}

// over returns an *Error when got > limit.
func over(budget string, got, limit int64) error {
	if got > limit {
		return &Error{Budget: budget, Limit: limit, Got: got}
	}
	return nil
}
