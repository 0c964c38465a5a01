package main

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// env is a fake environment for run and parseConfig.
type env map[string]string

func (e env) get(key string) string { return e[key] }

func TestParseConfig(t *testing.T) {
	defaults := config{addr: ":8080", logLevel: slog.LevelInfo, logFormat: "text"}
	tests := []struct {
		name     string
		args     []string
		env      env
		want     config
		wantRest []string
		wantErr  string
	}{
		{
			name: "defaults",
			want: defaults,
		},
		{
			name: "every variable",
			env: env{
				"ADDR":                        "127.0.0.1:9000",
				"BASE_URL":                    "https://engineroom.example",
				"LOG_LEVEL":                   "debug",
				"LOG_FORMAT":                  "json",
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
				"CLIENT_IP_HEADER":            "Fly-Client-IP",
				"FLY_MACHINE_ID":              "3d8d9e0b6e1e89",
				"SECRET_KEY":                  "s3cret",
				"REDIS_URL":                   "redis://127.0.0.1:6379/0",
				"STATE_DB":                    "/var/lib/engineroom/state.db",
			},
			want: config{
				addr:           "127.0.0.1:9000",
				baseURL:        "https://engineroom.example",
				logLevel:       slog.LevelDebug,
				logFormat:      "json",
				otlpEndpoint:   "http://collector:4318",
				clientIPHeader: "Fly-Client-IP",
				instance:       "3d8d9e0b6e1e89",
				secret:         "s3cret",
				redisURL:       "redis://127.0.0.1:6379/0",
				stateDB:        "/var/lib/engineroom/state.db",
			},
		},
		{
			name: "PORT when ADDR is unset",
			env:  env{"PORT": "3000"},
			want: config{addr: ":3000", logLevel: slog.LevelInfo, logFormat: "text"},
		},
		{
			name: "ADDR wins over PORT",
			env:  env{"ADDR": "127.0.0.1:9000", "PORT": "3000"},
			want: config{addr: "127.0.0.1:9000", logLevel: slog.LevelInfo, logFormat: "text"},
		},
		{
			name: "log level names are case-insensitive",
			env:  env{"LOG_LEVEL": "WARN"},
			want: config{addr: ":8080", logLevel: slog.LevelWarn, logFormat: "text"},
		},
		{
			name: "flags override the environment",
			args: []string{
				"-addr", "127.0.0.1:7000",
				"-base-url", "http://flag.example",
				"-log-level", "error",
				"-log-format", "text",
				"-otlp-endpoint", "http://flag-collector:4318",
				"-client-ip-header", "X-Real-IP",
				"-redis-url", "rediss://:pw@cache.internal:6380/2",
			},
			env: env{
				"ADDR":                        "127.0.0.1:9000",
				"PORT":                        "3000",
				"BASE_URL":                    "https://engineroom.example",
				"LOG_LEVEL":                   "debug",
				"LOG_FORMAT":                  "json",
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
				"CLIENT_IP_HEADER":            "Fly-Client-IP",
				"SECRET_KEY":                  "s3cret",
				"REDIS_URL":                   "redis://127.0.0.1:6379/0",
			},
			want: config{
				addr:           "127.0.0.1:7000",
				baseURL:        "http://flag.example",
				logLevel:       slog.LevelError,
				logFormat:      "text",
				otlpEndpoint:   "http://flag-collector:4318",
				clientIPHeader: "X-Real-IP",
				secret:         "s3cret",
				redisURL:       "rediss://:pw@cache.internal:6380/2",
			},
		},
		{
			name:     "the command is left over",
			args:     []string{"-addr", ":9999", "healthcheck"},
			want:     config{addr: ":9999", logLevel: slog.LevelInfo, logFormat: "text"},
			wantRest: []string{"healthcheck"},
		},
		{
			name:    "bad LOG_LEVEL",
			env:     env{"LOG_LEVEL": "loud"},
			wantErr: `LOG_LEVEL: "loud"`,
		},
		{
			name:    "bad -log-level",
			args:    []string{"-log-level", "verbose"},
			wantErr: `LOG_LEVEL: "verbose"`,
		},
		{
			name:    "bad LOG_FORMAT",
			env:     env{"LOG_FORMAT": "xml"},
			wantErr: `LOG_FORMAT: "xml"`,
		},
		{
			name:    "bad -log-format",
			args:    []string{"-log-format", "logfmt"},
			wantErr: `LOG_FORMAT: "logfmt"`,
		},
		{
			name: "REDIS_URL with a user, a password and a database",
			env:  env{"REDIS_URL": "redis://engine:hunter2@127.0.0.1:6390/3"},
			want: config{addr: ":8080", logLevel: slog.LevelInfo, logFormat: "text", redisURL: "redis://engine:hunter2@127.0.0.1:6390/3"},
		},
		{
			name:    "REDIS_URL that is not Redis",
			env:     env{"REDIS_URL": "http://127.0.0.1:6379"},
			wantErr: "REDIS_URL: cache: parsing the Redis URL: redis: invalid URL scheme: http",
		},
		{
			name:    "REDIS_URL with a bad database",
			env:     env{"REDIS_URL": "redis://127.0.0.1:6379/zero"},
			wantErr: "REDIS_URL: cache: parsing the Redis URL: ",
		},
		{
			name:    "REDIS_URL with a password and a bad port",
			env:     env{"REDIS_URL": "redis://engine:hunter2@127.0.0.1:port/0"},
			wantErr: "REDIS_URL: cache: parsing the Redis URL: invalid port",
		},
		{
			name:    "bad -redis-url",
			args:    []string{"-redis-url", "127.0.0.1:6379"},
			wantErr: "REDIS_URL: cache: parsing the Redis URL: ",
		},
		{
			name:    "unknown flag",
			args:    []string{"-verbose"},
			wantErr: "flag provided but not defined: -verbose",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rest, err := parseConfig(tt.args, tt.env.get, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseConfig error = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("parseConfig error %q repeats a password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseConfig: %v", err)
			}
			// The settings' description is checked in TestDescribeSettings.
			if len(got.settings) != len(settingOrder) {
				t.Errorf("%d settings described, want %d", len(got.settings), len(settingOrder))
			}
			got.settings = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("config =\n\t%+v\nwant\n\t%+v", got, tt.want)
			}
			if !slices.Equal(rest, tt.wantRest) {
				t.Errorf("rest = %q, want %q", rest, tt.wantRest)
			}
		})
	}
}

func TestRunRefusesBadInvocations(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     env
		wantErr string
	}{
		{name: "unknown command", args: []string{"frobnicate"}, wantErr: `unknown command "frobnicate"`},
		{name: "unknown command after flags", args: []string{"-addr", ":0", "serve"}, wantErr: `unknown command "serve"`},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "-nope"},
		{name: "bad LOG_LEVEL", env: env{"LOG_LEVEL": "chatty"}, wantErr: "LOG_LEVEL"},
		{name: "bad LOG_FORMAT", env: env{"LOG_FORMAT": "yaml"}, wantErr: "LOG_FORMAT"},
		{name: "bad REDIS_URL", env: env{"REDIS_URL": "memcached://127.0.0.1"}, wantErr: "REDIS_URL"},
		{name: "FLY_MACHINE_ID that could break a header", env: env{"FLY_MACHINE_ID": "abc\r\nSet-Cookie: x=1"}, wantErr: "FLY_MACHINE_ID"},
		{name: "healthcheck with a bad address", args: []string{"healthcheck"}, env: env{"ADDR": "nonsense"}, wantErr: `healthcheck: address "nonsense"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			err := run(context.Background(), tt.args, tt.env.get, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run error = %v, want one containing %q", err, tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}
