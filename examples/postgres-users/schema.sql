-- The table Auth0's PostgreSQL templates use (database-connections/postgres-users/*.js).
CREATE TABLE IF NOT EXISTS users (
  id SERIAL PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  password TEXT NOT NULL,
  nickname TEXT,
  email_verified BOOLEAN NOT NULL DEFAULT false
);
