package main

import (
	"flag"
	"strings"

	"github.com/engineroom/engineroom/playground/ops"
	"github.com/engineroom/engineroom/web"
)

// describeSettings lists every setting with its value, safe to show, and
// where the value came from: a flag given on the command line, the
// environment, or the default. fs must have parsed the arguments.
func describeSettings(fs *flag.FlagSet, getenv func(string) string, cfg config) []web.Setting {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	setting := func(env, flagName, value, empty string) web.Setting {
		st := web.Setting{Env: env, Value: value, Empty: empty, Source: web.SourceDefault}
		if flagName != "" {
			st.Flag = "-" + flagName
		}
		switch {
		case given[flagName]:
			st.Source = web.SourceFlag
		case env != "" && getenv(env) != "":
			st.Source = web.SourceEnv
		}
		return st
	}
	addr := setting("ADDR", "addr", cfg.addr, "")
	if addr.Source == web.SourceDefault && getenv("PORT") != "" {
		addr.Source, addr.Via = web.SourceEnv, "PORT"
	}
	secret := setting("SECRET_KEY", "", "set", "")
	secret.Secret = true
	if cfg.secret == "" {
		secret.Value, secret.Empty = "not set", "a random key per start: visitors start afresh after a restart"
	}
	return []web.Setting{
		addr,
		setting("BASE_URL", "base-url", ops.RedactURL(cfg.baseURL), "curl snippets use the request's own host"),
		setting("LOG_LEVEL", "log-level", strings.ToLower(cfg.logLevel.String()), ""),
		setting("LOG_FORMAT", "log-format", cfg.logFormat, ""),
		setting("OTEL_EXPORTER_OTLP_ENDPOINT", "otlp-endpoint", ops.RedactURL(cfg.otlpEndpoint), "spans stay in this process, for the back end panes"),
		setting("CLIENT_IP_HEADER", "client-ip-header", cfg.clientIPHeader, "the client is the connection's peer address"),
		setting("FLY_MACHINE_ID", "instance", cfg.instance, "one instance: visitors are not pinned to one"),
		setting("REDIS_URL", "redis-url", ops.RedactURL(cfg.redisURL), "an embedded Redis-protocol server"),
		setting("STATE_DB", "state-db", cfg.stateDB, "engineroom/state.db in the user's cache folder"),
		setting("METRICS_ADDR", "metrics-addr", cfg.metricsAddr, "/metrics is served beside the app"),
		secret,
		setting("", "cpuprofile", cfg.cpuProfile, "no CPU profile"),
	}
}

// withStateDB fills in the state database's path where the default chose
// it.
func withStateDB(settings []web.Setting, path string) []web.Setting {
	out := make([]web.Setting, len(settings))
	for i, st := range settings {
		if st.Env == "STATE_DB" && st.Value == "" {
			st.Value = path
		}
		out[i] = st
	}
	return out
}
