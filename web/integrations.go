package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/playground/upstream"
)

// thirdParty is what the third-party lessons run on: the simulated
// services on loopback ports, the app's calls to them, the job queue in
// the app's own state database, and a loopback listener through which
// the gateway's webhooks reach this server's router over real HTTP.
type thirdParty struct {
	services *upstream.Services
	app      *integrations.App
	hooks    *http.Server
	hooksLn  net.Listener
	tempDir  string // the state database's folder when none was configured

	// The job queue starts on first use, or at boot when jobs are
	// waiting in the state database, and opens in the background (it may
	// migrate its database first): an idle server keeps neither its
	// memory nor its polling.
	startJobs func()        // starts the queue once; does nothing after close
	jobsOnce  sync.Once     // guards jobsReady
	jobsReady chan struct{} // closed once jobs or jobsErr is set; nil until started
	jobs      *jobs.Queue
	jobsErr   error
}

// startThirdParty starts the services and the queue. handler is the
// server's router, which the webhook listener serves.
func (s *Server) startThirdParty(ctx context.Context, handler http.Handler) (tp *thirdParty, err error) {
	tp = &thirdParty{}
	defer func() {
		if err != nil {
			err = errors.Join(err, tp.close(context.Background()))
		}
	}()
	if tp.hooksLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return tp, fmt.Errorf("web: listening for webhooks: %w", err)
	}
	tp.hooks = &http.Server{Handler: continueTrace(handler), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = tp.hooks.Serve(tp.hooksLn) }()

	tp.services, err = upstream.Start(upstream.Options{
		Seed:    1,
		Gateway: upstream.GatewayOptions{WebhookURL: "http://" + tp.hooksLn.Addr().String() + "/webhooks/payments"},
	})
	if err != nil {
		return tp, fmt.Errorf("web: %w", err)
	}
	tracer := s.traces.Tracer("github.com/engineroom/engineroom/playground/integrations")
	tp.app = integrations.New(integrations.Options{
		GatewayURL:      tp.services.Gateway.URL(),
		MailerURL:       tp.services.Mailer.URL(),
		ReservationsURL: tp.services.Reservations.URL(),
		Client:          s.metrics.outboundClient(tracer),
		Tracer:          tracer,
		WebhookSecret:   tp.services.Gateway.WebhookSecret(),
	})
	path := s.cfg.StateDB
	if path == "" {
		if tp.tempDir, err = os.MkdirTemp("", "engineroom-state-"); err != nil {
			return tp, fmt.Errorf("web: making a folder for the state database: %w", err)
		}
		path = filepath.Join(tp.tempDir, "state.db")
	}
	tp.startJobs = func() {
		tp.jobsOnce.Do(func() {
			tp.jobsReady = make(chan struct{})
			go s.openJobs(ctx, tp, path)
		})
	}
	if n, err := jobs.Pending(ctx, path); err != nil || n > 0 {
		// Work left from the last run (or a database to look at more
		// closely): start now rather than on first use.
		tp.startJobs()
	}
	return tp, nil
}

// webhookURL is where the webhook listener takes the gateway's
// deliveries: this server's router, over loopback HTTP.
func (tp *thirdParty) webhookURL() string {
	return "http://" + tp.hooksLn.Addr().String() + "/webhooks/payments"
}

// openJobs opens and starts the job queue at path for tp.
func (s *Server) openJobs(ctx context.Context, tp *thirdParty, path string) {
	defer close(tp.jobsReady)
	q, err := jobs.Open(context.WithoutCancel(ctx), jobs.Options{
		Path:   path,
		Tracer: s.traces.Tracer("github.com/engineroom/engineroom/playground/jobs"),
		Logger: s.log,
	})
	if err == nil {
		tp.app.HandleJobs(q)
		if err = q.Start(context.WithoutCancel(ctx)); err != nil {
			err = errors.Join(err, q.Close(context.Background()))
			q = nil
		}
	}
	tp.jobs, tp.jobsErr = q, err
	if err != nil {
		s.log.Error("the job queue did not start", "state_db", path, "err", err)
	}
}

// queue is the job queue, started on first use.
func (tp *thirdParty) queue(ctx context.Context) (*jobs.Queue, error) {
	tp.startJobs()
	if tp.jobsReady == nil {
		return nil, errors.New("web: the job queue is closed")
	}
	select {
	case <-tp.jobsReady:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if tp.jobsErr != nil {
		return nil, fmt.Errorf("web: the job queue is not available: %w", tp.jobsErr)
	}
	return tp.jobs, nil
}

// close stops the queue (letting running jobs finish within ctx), the
// services and the webhook listener.
func (tp *thirdParty) close(ctx context.Context) error {
	var errs []error
	tp.jobsOnce.Do(func() {}) // no start from now on
	if tp.jobsReady != nil {
		<-tp.jobsReady
	}
	if tp.jobs != nil {
		errs = append(errs, tp.jobs.Close(ctx))
	}
	if tp.services != nil {
		errs = append(errs, tp.services.Close())
	}
	if tp.hooks != nil {
		errs = append(errs, tp.hooks.Close())
	} else if tp.hooksLn != nil {
		errs = append(errs, tp.hooksLn.Close())
	}
	if tp.tempDir != "" {
		errs = append(errs, os.RemoveAll(tp.tempDir))
	}
	return errors.Join(errs...)
}
