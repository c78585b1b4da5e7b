-- What the provider last said of an instance's VM (status and attributes, as JSON) and
-- when: written by the instance workflows and refreshed by the reconciler, so a read
-- answers from here and never waits on a provider. Apart from the instance row so that
-- refreshing it does not touch the instance's generation.
CREATE TABLE instance_provider_views (
    instance_id TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL,
    view TEXT NOT NULL,
    seen_at BIGINT NOT NULL
);
CREATE INDEX instance_provider_views_connection ON instance_provider_views (connection_id);
