package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/web"
)

// settingOrder is every setting, as the configuration lesson lists them.
var settingOrder = []string{
	"ADDR", "BASE_URL", "LOG_LEVEL", "LOG_FORMAT", "OTEL_EXPORTER_OTLP_ENDPOINT",
	"CLIENT_IP_HEADER", "FLY_MACHINE_ID", "REDIS_URL", "STATE_DB", "METRICS_ADDR", "SECRET_KEY", "-cpuprofile",
}

// settingKey names a setting by its variable, or its flag when it has
// none.
func settingKey(st web.Setting) string {
	if st.Env != "" {
		return st.Env
	}
	return st.Flag
}

func TestDescribeSettings(t *testing.T) {
	type want struct {
		value, source, via string
	}
	tests := []struct {
		name string
		args []string
		env  env
		want map[string]want
	}{
		{
			name: "defaults",
			want: map[string]want{
				"ADDR": {":8080", web.SourceDefault, ""}, "BASE_URL": {"", web.SourceDefault, ""},
				"LOG_LEVEL": {"info", web.SourceDefault, ""}, "LOG_FORMAT": {"text", web.SourceDefault, ""},
				"OTEL_EXPORTER_OTLP_ENDPOINT": {"", web.SourceDefault, ""}, "CLIENT_IP_HEADER": {"", web.SourceDefault, ""},
				"REDIS_URL": {"", web.SourceDefault, ""}, "STATE_DB": {"", web.SourceDefault, ""},
				"SECRET_KEY": {"not set", web.SourceDefault, ""}, "-cpuprofile": {"", web.SourceDefault, ""},
				"METRICS_ADDR": {"", web.SourceDefault, ""},
			},
		},
		{
			name: "the environment, secrets hidden",
			env: env{
				"PORT": "3000", "BASE_URL": "https://engineroom.example", "LOG_LEVEL": "WARN", "LOG_FORMAT": "json",
				"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example:4318?api_key=hunter2",
				"CLIENT_IP_HEADER":            "Fly-Client-IP", "SECRET_KEY": "hunter2", "FLY_MACHINE_ID": "3d8d9e0b6e1e89",
				"REDIS_URL": "redis://engine:hunter2@cache.internal:6390/3", "STATE_DB": "/data/state.db",
				"METRICS_ADDR": ":9091",
			},
			want: map[string]want{
				"ADDR": {":3000", web.SourceEnv, "PORT"}, "BASE_URL": {"https://engineroom.example", web.SourceEnv, ""},
				"LOG_LEVEL": {"warn", web.SourceEnv, ""}, "LOG_FORMAT": {"json", web.SourceEnv, ""},
				"OTEL_EXPORTER_OTLP_ENDPOINT": {"https://collector.example:4318?api_key=xxxxx", web.SourceEnv, ""},
				"CLIENT_IP_HEADER":            {"Fly-Client-IP", web.SourceEnv, ""},
				"FLY_MACHINE_ID":              {"3d8d9e0b6e1e89", web.SourceEnv, ""},
				"REDIS_URL":                   {"redis://engine:xxxxx@cache.internal:6390/3", web.SourceEnv, ""},
				"STATE_DB":                    {"/data/state.db", web.SourceEnv, ""}, "SECRET_KEY": {"set", web.SourceEnv, ""},
				"METRICS_ADDR": {":9091", web.SourceEnv, ""},
				"-cpuprofile":  {"", web.SourceDefault, ""},
			},
		},
		{
			name: "flags win over the environment",
			args: []string{"-addr", "127.0.0.1:7000", "-log-level", "debug", "-redis-url", "rediss://:hunter2@cache:6380/2", "-cpuprofile", "/tmp/cpu.out"},
			env:  env{"ADDR": "127.0.0.1:9000", "LOG_LEVEL": "error", "LOG_FORMAT": "json"},
			want: map[string]want{
				"ADDR": {"127.0.0.1:7000", web.SourceFlag, ""}, "BASE_URL": {"", web.SourceDefault, ""},
				"LOG_LEVEL": {"debug", web.SourceFlag, ""}, "LOG_FORMAT": {"json", web.SourceEnv, ""},
				"OTEL_EXPORTER_OTLP_ENDPOINT": {"", web.SourceDefault, ""}, "CLIENT_IP_HEADER": {"", web.SourceDefault, ""},
				"REDIS_URL": {"rediss://:xxxxx@cache:6380/2", web.SourceFlag, ""}, "STATE_DB": {"", web.SourceDefault, ""},
				"SECRET_KEY": {"not set", web.SourceDefault, ""}, "-cpuprofile": {"/tmp/cpu.out", web.SourceFlag, ""},
			},
		},
		{
			name: "ADDR wins over PORT",
			env:  env{"ADDR": "127.0.0.1:9000", "PORT": "3000"},
			want: map[string]want{"ADDR": {"127.0.0.1:9000", web.SourceEnv, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := parseConfig(tt.args, tt.env.get, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, st := range cfg.settings {
				k := settingKey(st)
				keys = append(keys, k)
				if strings.Contains(st.Value, "hunter2") {
					t.Errorf("%s shows a secret: %q", k, st.Value)
				}
				if (k == "SECRET_KEY") != st.Secret {
					t.Errorf("%s: Secret = %v", k, st.Secret)
				}
				if st.Value == "" && st.Empty == "" {
					t.Errorf("%s is empty and does not say what that means", k)
				}
				w, ok := tt.want[k]
				if !ok {
					continue
				}
				if st.Value != w.value || st.Source != w.source || st.Via != w.via {
					t.Errorf("%s = %q from %s (via %q), want %q from %s (via %q)", k, st.Value, st.Source, st.Via, w.value, w.source, w.via)
				}
			}
			if !slices.Equal(keys, settingOrder) {
				t.Errorf("settings %v, want %v", keys, settingOrder)
			}
		})
	}
}

func TestSettingFlags(t *testing.T) {
	cfg, _, err := parseConfig(nil, env{}.get, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// Every flag parseConfig defines is described, under its own name.
	fs := []string{"-addr", "-base-url", "-log-level", "-log-format", "-otlp-endpoint", "-client-ip-header", "-instance", "-redis-url", "-state-db", "-metrics-addr", "", "-cpuprofile"}
	for i, st := range cfg.settings {
		if st.Flag != fs[i] {
			t.Errorf("%s: flag %q, want %q", settingKey(st), st.Flag, fs[i])
		}
	}
}

func TestWithStateDB(t *testing.T) {
	in := []web.Setting{{Env: "STATE_DB", Source: web.SourceDefault, Empty: "the default"}, {Env: "ADDR", Value: ":8080"}}
	got := withStateDB(in, "/home/ada/.cache/engineroom/state.db")
	if got[0].Value != "/home/ada/.cache/engineroom/state.db" || got[0].Source != web.SourceDefault || got[1].Value != ":8080" {
		t.Errorf("withStateDB = %+v", got)
	}
	if in[0].Value != "" {
		t.Error("withStateDB changed its argument")
	}
	set := withStateDB([]web.Setting{{Env: "STATE_DB", Value: "/data/state.db", Source: web.SourceEnv}}, "/elsewhere.db")
	if set[0].Value != "/data/state.db" {
		t.Errorf("a configured path became %q", set[0].Value)
	}
}
