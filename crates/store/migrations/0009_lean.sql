-- Lean provisioning (SPEC §1): VM profiles (how a machine is described once) and
-- software stacks (what may be installed on which OS, for which environments).
CREATE TABLE vm_profiles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    base_profile TEXT NOT NULL,
    install_media TEXT NOT NULL,
    description TEXT NOT NULL,
    os_type TEXT NOT NULL,
    os_version TEXT NOT NULL,
    memory_mib BIGINT NOT NULL,
    disk_gb BIGINT NOT NULL,
    vcpus BIGINT NOT NULL,
    clock_offset TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    generation BIGINT NOT NULL
);

CREATE TABLE software_stacks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    version TEXT NOT NULL,
    fits TEXT NOT NULL,
    environments TEXT NOT NULL,
    install_script TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    generation BIGINT NOT NULL
);
