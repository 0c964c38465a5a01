package main

import "time"

// Hostile visitors during a class: with -attackers, that many more
// visitors join beside the students and then, every -attack-every, send the
// SQL panel a statement from hostileSQL in turn — the sandbox's own
// catalogue of abuse: endless recursion, cross joins, huge values and
// sorts, and the statements the sandbox refuses outright. Their answers are
// reported on a row of their own; the students' figures leave them out, so
// one run with and one without attackers show what the attack costs the
// class.
const (
	kindAttack = "attack"
	// maxAttackers bounds the attackers as maxStudents bounds the class.
	maxAttackers = 200
	// defaultAttackEvery is how often one attacker strikes: faster than a
	// visitor's sustained query rate, so the per-visitor limit is tested too.
	defaultAttackEvery = 250 * time.Millisecond
)

// hostileSQL is what attackers send, each statement a different way to
// spend the server's time, memory or files.
var hostileSQL = [...]string{
	// Time: only the statement's time limit stops these.
	"WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r;",
	"SELECT count(*) FROM bookings a, bookings b;",
	"SELECT * FROM bookings ORDER BY random();",
	// Memory: values and intermediate results that grow without end.
	"WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r) SELECT length(s) FROM r;",
	"SELECT length(randomblob(1000000000));",
	"SELECT group_concat(b.id || randomblob(100)) FROM bookings a, bookings b;",
	// Space: tables that would fill the sandbox.
	"CREATE TABLE fill AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r LIMIT 10000000) SELECT i, randomblob(1000) AS b FROM r;",
	// Files and the engine: refused before they run.
	"ATTACH DATABASE '/etc/passwd' AS p;",
	"SELECT load_extension('/tmp/evil');",
	"PRAGMA writable_schema = ON;",
	"VACUUM INTO '/tmp/stolen.db';",
}
