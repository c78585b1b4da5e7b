-- The definition a workflow was stored under: its step names (JSON array) and version,
-- so a newer binary resumes it by step name, or unwinds it when the steps changed.
-- Rows from before this migration have '' and 0: their step names are in `steps`.
ALTER TABLE workflows ADD COLUMN def_steps TEXT NOT NULL DEFAULT '';
ALTER TABLE workflows ADD COLUMN def_version BIGINT NOT NULL DEFAULT 0;
