package balancer

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// ensureChecker starts the visitor's health checks unless they run or
// are not needed.
func (l *Lab) ensureChecker(v *visitor) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.checking || v.gone || v.healthy() || l.ctx.Err() != nil {
		return
	}
	v.checking = true
	l.wg.Add(1)
	go l.checkLoop(v)
}

// checkLoop checks every instance for the visitor each HealthInterval,
// the first time at once, until the visitor's tier is healthy again, the
// visitor is idle for CheckFor or dropped, or the lab closes.
func (l *Lab) checkLoop(v *visitor) {
	defer l.wg.Done()
	t := time.NewTicker(l.opts.HealthInterval)
	defer t.Stop()
	for {
		v.mu.Lock()
		stop := v.gone || v.healthy() || time.Since(v.lastUsed) > l.opts.CheckFor || l.ctx.Err() != nil
		if stop {
			v.checking = false
		}
		v.mu.Unlock()
		if stop {
			return
		}
		for i := range l.instances {
			l.checkOnce(v, i)
		}
		select {
		case <-l.ctx.Done():
		case <-t.C:
		}
	}
}

// checkOnce sends GET /healthz to instance i as the visitor and records
// the outcome.
func (l *Lab) checkOnce(v *visitor, i int) {
	in := l.instances[i]
	ctx, cancel := context.WithTimeout(l.ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+in.addr+"/healthz", nil)
	if err != nil {
		return
	}
	req.Header.Set(headerVisitor, v.id)
	c := Check{At: time.Now()}
	res, err := l.hops.RoundTrip(req)
	switch {
	case errors.Is(err, context.Canceled) && l.ctx.Err() != nil:
		return
	case err != nil:
		c.Result = describe(err)
	default:
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
		res.Body.Close()
		c.Result, c.OK = strconv.Itoa(res.StatusCode), res.StatusCode == http.StatusOK
	}
	v.mu.Lock()
	v.record(in.name, i, c, l.opts.Fall, l.opts.Rise)
	v.mu.Unlock()
}

// describe is a failed hop's error in a few words.
func describe(err error) string {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection dropped"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, errNoInstance):
		return "no instance in rotation"
	}
	return "connection failed"
}
