package cache

import "context"

// Ping asks the server whether it answers: one PING, a client span like
// any other command. It is what a readiness check sends.
func (c *Cache) Ping(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return c.serverError("PING", err)
	}
	return nil
}
