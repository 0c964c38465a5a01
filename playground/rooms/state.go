package rooms

import (
	"encoding/json"
	"fmt"
)

// Limits of a State.
const (
	// MaxPath is the longest path a state may name.
	MaxPath = 200
	// MaxDemo is the longest demo id a state may name.
	MaxDemo = 64
	// MaxStep is the largest step of a trace a state may name.
	MaxStep = 1000
)

// State is what the teacher has on screen: the page (a local path), and
// optionally a demo on it and how many spans of its trace are shown.
type State struct {
	Path string `json:"path"`
	Demo string `json:"demo,omitempty"`
	Step int    `json:"step,omitempty"`
}

// Check reports whether s is within the limits: a path starting with "/"
// of at most MaxPath bytes, a demo id of at most MaxDemo letters, digits,
// "-" or "_", and a step between 0 and MaxStep. Whether the path is a page
// of the site is for the caller to decide.
func (s State) Check() error {
	if s.Path == "" || s.Path[0] != '/' || len(s.Path) > MaxPath {
		return fmt.Errorf("%w: path must start with / and have at most %d characters", ErrBadState, MaxPath)
	}
	if len(s.Demo) > MaxDemo {
		return fmt.Errorf("%w: demo must have at most %d characters", ErrBadState, MaxDemo)
	}
	for _, r := range s.Demo {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
		if !ok {
			return fmt.Errorf("%w: demo may hold only letters, digits, - and _", ErrBadState)
		}
	}
	if s.Step < 0 || s.Step > MaxStep {
		return fmt.Errorf("%w: step must be between 0 and %d", ErrBadState, MaxStep)
	}
	return nil
}

// encode is the message followers receive: the state as JSON.
func (s State) encode() []byte {
	b, _ := json.Marshal(s) // strings and an int: cannot fail
	return b
}
