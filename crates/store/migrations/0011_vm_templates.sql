-- VM templates and persistent VMs (SPEC §1). A template is a machine in a template pool
-- that an administrator installs once; each release freezes its disk into an image, a
-- version, that persistent VMs' root disks are linked clones of. The mode is nullable on
-- purpose: a template whose mode went missing is healed to do_not_use by the reconciler.
CREATE TABLE vm_templates (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    profile_id TEXT NOT NULL,
    pool_id TEXT NOT NULL,
    node_id TEXT,
    connection_id TEXT NOT NULL,
    zone TEXT NOT NULL,
    description TEXT NOT NULL,
    memory_mib BIGINT NOT NULL,
    disk_gb BIGINT NOT NULL,
    vcpus BIGINT NOT NULL,
    clock_offset TEXT NOT NULL,
    mode TEXT,
    version BIGINT NOT NULL,
    sysprepped BIGINT NOT NULL,
    disk_provider_id TEXT,
    vm_provider_id TEXT,
    state TEXT NOT NULL,
    state_reason TEXT,
    op_id TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    generation BIGINT NOT NULL
);

CREATE TABLE vm_template_versions (
    id TEXT PRIMARY KEY,
    template_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    image_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX vm_template_versions_number ON vm_template_versions (template_id, version);

-- What happened to a template that nobody asked for (self-healing), and its actions.
CREATE TABLE vm_template_events (
    id TEXT PRIMARY KEY,
    template_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX vm_template_events_template ON vm_template_events (template_id, at);

-- The lean side of an instance that is a persistent VM (its id is the instance's). Kept
-- (deleted_at set) when the instance goes: its configuration-management fees stay billed.
CREATE TABLE persistent_vms (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    template_id TEXT NOT NULL,
    template_version BIGINT NOT NULL,
    pool_id TEXT NOT NULL,
    node_id TEXT,
    description TEXT NOT NULL,
    vm_type TEXT NOT NULL,
    software_stack_id TEXT,
    environment TEXT,
    configuration_management TEXT NOT NULL,
    reseller_id TEXT,
    customer_id TEXT,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX persistent_vms_template ON persistent_vms (template_id);
