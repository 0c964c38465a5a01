package sandbox

import (
	"context"
	"errors"
)

// Spare sandboxes. Cloning the template means opening a connection onto
// the shared image, reading its schema and applying the guards: about
// 0.3 ms of CPU (BenchmarkCreate). The Manager keeps a few sandboxes cloned
// in advance, in the background, and a new visitor takes one of those
// (tens of microseconds); only when the spares run out is a sandbox cloned
// on the spot.
//
// A server nobody has visited keeps none: the first new visitor clones on
// the spot, and starts the refill.

// refill keeps the spare channel full, from the first new visitor on,
// until Close.
func (m *Manager) refill() {
	defer close(m.refillDone)
	select {
	case <-m.refillKick:
	case <-m.stop:
		return
	}
	for {
		for m.buildErr == nil && len(m.spare) < cap(m.spare) {
			b := &box{}
			if err := b.open(context.Background(), m.template); err != nil {
				// Out of memory, most likely: new visitors clone on the spot
				// and report the error themselves.
				break
			}
			select {
			case m.spare <- b:
			default:
				_ = b.close()
			}
		}
		select {
		case <-m.stop:
			return
		case <-m.refillKick:
		}
	}
}

// openBox gives b a fresh sandbox: the one set aside for its visitor (see
// Warm), else a spare if one is ready, else a new clone. It reports
// whether one cloned in advance was used.
func (m *Manager) openBox(ctx context.Context, b *box) (spare bool, err error) {
	defer func() {
		select {
		case m.refillKick <- struct{}{}:
		default:
		}
	}()
	if m.takeWarm(b) {
		return true, nil
	}
	select {
	case s := <-m.spare:
		b.take(s)
		return true, nil
	default:
		image, err := m.Image(ctx)
		if err != nil {
			return false, err
		}
		return false, b.open(ctx, image)
	}
}

// closeSpares closes the spares left once the refill goroutine has stopped.
func (m *Manager) closeSpares() error {
	var errs []error
	for {
		select {
		case b := <-m.spare:
			errs = append(errs, b.close())
		default:
			return errors.Join(errs...)
		}
	}
}
