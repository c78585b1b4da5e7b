-- Console sign-in tries in a row per user name that have not succeeded (a try counts as
-- failed from its start until its password is found right), so that every server
-- sharing the database makes a guesser wait the same. A name that was never a user
-- gets a row too: the answer must not tell names apart. Rows older than an hour are
-- forgotten with the next try.
CREATE TABLE sign_in_failures (
    name TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failed_at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_last ON sign_in_failures (last_failed_at);
