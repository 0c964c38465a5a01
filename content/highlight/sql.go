package highlight

import . "github.com/alecthomas/chroma/v2"

// sqlKeywords are SQLite's keywords plus the PostgreSQL ones the lessons
// compare it with.
const sqlKeywords = `ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND ANY AS ASC ATTACH
AUTOINCREMENT BEFORE BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT
COMMITTED CONCURRENTLY CONFLICT CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME
CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP
EACH ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FETCH FILTER FIRST
FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GRANT GROUP GROUPS HAVING IF IGNORE ILIKE
IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL
ISOLATION JOIN KEY LAST LATERAL LEFT LEVEL LIKE LIMIT LOCK LOCKED MATCH MATERIALIZED
NATURAL NEXT NO NOT NOTHING NOTNULL NOWAIT NULL NULLS OF OFFSET ON ONLY OR ORDER OTHERS
OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE READ RECURSIVE
REFERENCES REGEXP REINDEX RELEASE RENAME REPEATABLE REPLACE RESTRICT RETURNING REVOKE
RIGHT ROLLBACK ROW ROWID ROWS SAVEPOINT SELECT SERIALIZABLE SET SHARE SKIP SOME START
STRICT TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER TRUNCATE UNBOUNDED
UNCOMMITTED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH
WITHOUT WORK`

// sqlTypes are the column types of SQLite and PostgreSQL.
const sqlTypes = `BIGINT BIGSERIAL BLOB BOOL BOOLEAN BYTEA CHAR CHARACTER DATE DATETIME
DECIMAL DOUBLE FLOAT INT INTEGER INTERVAL JSON JSONB NUMERIC PRECISION REAL SERIAL
SMALLINT TEXT TIME TIMESTAMP TIMESTAMPTZ UUID VARCHAR VARYING`

// sqlFunctions are the built-in functions the lessons' queries call.
const sqlFunctions = `ABS AVG CHANGES CHAR_LENGTH COALESCE COUNT DENSE_RANK FORMAT
GROUP_CONCAT HEX IFNULL IIF INSTR JULIANDAY JSON_ARRAY JSON_EACH JSON_EXTRACT
JSON_GROUP_ARRAY JSON_GROUP_OBJECT JSON_OBJECT JSON_SET JSON_TREE LAG LAST_INSERT_ROWID
LEAD LENGTH LOWER LTRIM MAX MIN NOW NULLIF PRINTF QUOTE RANDOM RANK ROUND ROW_NUMBER RTRIM
STRFTIME STRING_AGG SUBSTR SUBSTRING SUM TOTAL TRIM TYPEOF UNIXEPOCH UPPER`

// newSQL lexes SQL as SQLite reads it: keywords in any case, 'strings'
// in which a doubled quote stands for one, "quoted", `quoted` and
// [quoted] identifiers, -- and /* */ comments, and ?, ?1, :name, @name
// and $1 parameters.
func newSQL() *RegexLexer {
	kw := kinds(nil, Keyword, sqlKeywords)
	kw = kinds(kw, NameBuiltin, sqlTypes)
	kw = kinds(kw, NameBuiltin, sqlFunctions)
	kw = kinds(kw, KeywordConstant, "TRUE FALSE")
	return MustNewLexer(&Config{Name: "sql", Aliases: []string{"sqlite", "sqlite3", "postgresql", "postgres"}},
		func() Rules {
			return Rules{
				"root": {
					{Pattern: `\s+`, Type: Text},
					{Pattern: `--[^\n]*`, Type: CommentSingle},
					{Pattern: `/\*`, Type: CommentMultiline, Mutator: Push("comment")},
					{Pattern: `[xX]'[0-9A-Fa-f]*'`, Type: LiteralStringSingle},
					{Pattern: `[eE]?'(?:[^']|'')*'?`, Type: LiteralStringSingle},
					{Pattern: `"(?:[^"]|"")*"?`, Type: Name},
					{Pattern: "`(?:[^`]|``)*`?", Type: Name},
					{Pattern: `\[[^\[\]\n]{1,64}\]`, Type: Name},
					{Pattern: `0[xX][0-9A-Fa-f]+`, Type: LiteralNumberHex},
					{Pattern: `(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+`, Type: LiteralNumberFloat},
					{Pattern: `\d+`, Type: LiteralNumberInteger},
					{Pattern: `::`, Type: Operator},
					{Pattern: `\?\d*|[:@$][\p{L}_][\p{L}\p{N}_]*|\$\d+`, Type: NameVariable},
					{Pattern: `[\p{L}_][\p{L}\p{N}_$]*`, Type: words(kw, true, Name)},
					{Pattern: `\|\||->>?|<<|>>|<=|>=|==|!=|<>|[-+*/%<>=~&|]`, Type: Operator},
					{Pattern: `[(),;.]`, Type: Punctuation},
					{Pattern: `[\s\S]`, Type: Text},
				},
				"comment": {
					{Pattern: `[^*]+`, Type: CommentMultiline},
					{Pattern: `\*/`, Type: CommentMultiline, Mutator: Pop(1)},
					{Pattern: `\*`, Type: CommentMultiline},
				},
			}
		})
}
