-- Engine Room demo data. Every visitor gets a private copy of this database.
-- Times are UTC text: flights to the minute ('YYYY-MM-DD HH:MM'); the seeded
-- bookings, orders and ledger entries to the day ('YYYY-MM-DD'), which sorts
-- before any time later that day. Money is integer cents.
-- Some tables have no secondary index on purpose (flights, bookings) and
-- order_items.product_id is unindexed, so the indexes lesson can add an index
-- and watch the plan change; orders.customer_id is indexed for contrast.

-- Airline loyalty story ------------------------------------------------------

CREATE TABLE airports (
  code    TEXT PRIMARY KEY CHECK (length(code) = 3 AND code = upper(code)),
  city    TEXT NOT NULL,
  country TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE flights (
  id          INTEGER PRIMARY KEY,
  flight_no   TEXT    NOT NULL,
  origin      TEXT    NOT NULL REFERENCES airports(code),
  destination TEXT    NOT NULL REFERENCES airports(code),
  departs_at  TEXT    NOT NULL,
  arrives_at  TEXT    NOT NULL,
  seats       INTEGER NOT NULL CHECK (seats >= 0),
  miles_price INTEGER NOT NULL CHECK (miles_price > 0),
  CHECK (origin <> destination),
  CHECK (arrives_at > departs_at)
);

CREATE TABLE members (
  id        INTEGER PRIMARY KEY,
  name      TEXT    NOT NULL,
  email     TEXT    NOT NULL UNIQUE,
  tier      TEXT    NOT NULL DEFAULT 'blue'
            CHECK (tier IN ('blue', 'silver', 'gold', 'platinum')),
  miles     INTEGER NOT NULL DEFAULT 0 CHECK (miles >= 0),
  joined_on TEXT    NOT NULL
);

CREATE TABLE bookings (
  id         INTEGER PRIMARY KEY,
  member_id  INTEGER NOT NULL REFERENCES members(id),
  flight_id  INTEGER NOT NULL REFERENCES flights(id),
  status     TEXT    NOT NULL CHECK (status IN ('confirmed', 'cancelled', 'flown')),
  paid_miles INTEGER NOT NULL DEFAULT 0 CHECK (paid_miles >= 0),
  booked_at  TEXT    NOT NULL
);

-- The ledger behind members.miles: for every member, miles = sum(delta).
CREATE TABLE miles_transactions (
  id        INTEGER PRIMARY KEY,
  member_id INTEGER NOT NULL REFERENCES members(id),
  delta     INTEGER NOT NULL CHECK (delta <> 0),
  reason    TEXT    NOT NULL,
  at        TEXT    NOT NULL
);
CREATE INDEX miles_transactions_member_id ON miles_transactions(member_id);

-- Online shop story ----------------------------------------------------------

CREATE TABLE customers (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  email      TEXT NOT NULL UNIQUE,
  city       TEXT NOT NULL,
  created_on TEXT NOT NULL
);

CREATE TABLE products (
  id          INTEGER PRIMARY KEY,
  sku         TEXT    NOT NULL UNIQUE,
  name        TEXT    NOT NULL,
  category    TEXT    NOT NULL,
  price_cents INTEGER NOT NULL CHECK (price_cents > 0),
  stock       INTEGER NOT NULL CHECK (stock >= 0)
);

CREATE TABLE orders (
  id          INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  status      TEXT    NOT NULL
              CHECK (status IN ('cart', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
  total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
  created_at  TEXT    NOT NULL
);
CREATE INDEX orders_customer_id ON orders(customer_id);

CREATE TABLE order_items (
  order_id         INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  product_id       INTEGER NOT NULL REFERENCES products(id),
  quantity         INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents > 0),
  PRIMARY KEY (order_id, product_id)
) WITHOUT ROWID;

-- Accounts for the authentication lessons ------------------------------------

-- The seeded accounts' password_hash is the hex SHA-256 of username || '-demo':
-- a real hash, and a deliberately weak scheme (unsalted, fast) for the SQL
-- injection lesson. Accounts made by signing up store an argon2id hash in the
-- PHC string format ('$argon2id$v=19$m=...,t=...,p=...$salt$hash').
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL
                CHECK (length(password_hash) = 64 OR password_hash LIKE '$argon2id$%'),
  role          TEXT    NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
  member_id     INTEGER REFERENCES members(id)
);

-- The airline app's server-side sessions. The browser holds only a random
-- token in a cookie; the row is keyed by the token's SHA-256, so a copy of
-- this table does not let anyone take over a session. data is the session's
-- values as the session library encodes them; expiry is UTC text.
CREATE TABLE sessions (
  token  TEXT NOT NULL PRIMARY KEY,
  data   BLOB NOT NULL,
  expiry TEXT NOT NULL
) WITHOUT ROWID;

-- Travellers' reviews of flights (few rows a visitor: no index, and no page
-- spent on one in every sandbox). body is stored exactly as typed, markup
-- and all: escaping happens when a page shows it, not when it is saved.
CREATE TABLE reviews (
  id         INTEGER PRIMARY KEY,
  flight_id  INTEGER NOT NULL REFERENCES flights(id),
  author     TEXT    NOT NULL,
  body       TEXT    NOT NULL CHECK (length(body) <= 2000),
  created_at TEXT    NOT NULL
);

-- Passport numbers, encrypted at rest with AES-GCM: the stored value is
-- nonce || ciphertext || tag, sealed with the member's id as associated
-- data, so a value copied to another member's row no longer opens.
CREATE TABLE travel_documents (
  member_id       INTEGER PRIMARY KEY REFERENCES members(id),
  passport_number BLOB    NOT NULL,
  key_id          TEXT    NOT NULL
);
