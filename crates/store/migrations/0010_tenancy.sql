-- Tenancy: resellers own customers, customers own projects, every user has a home
-- customer. A fresh install (and every install upgraded to this) has reseller `default`
-- with customer `default`, and everything that existed moves there, so nothing breaks.
CREATE TABLE resellers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    generation BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX resellers_name ON resellers (name);

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    generation BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- A customer's name is unique within its reseller.
CREATE UNIQUE INDEX customers_name ON customers (reseller_id, name);

INSERT INTO resellers (id, name, description, created_at, updated_at)
VALUES ('00000000-0000-4000-8000-000000000001', 'default', 'Made on install', 0, 0);
INSERT INTO customers (id, reseller_id, name, description, created_at, updated_at)
VALUES ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'default',
        'Made on install', 0, 0);

ALTER TABLE projects ADD COLUMN customer_id TEXT NOT NULL DEFAULT '00000000-0000-4000-8000-000000000002';
CREATE INDEX projects_customer ON projects (customer_id);
ALTER TABLE users ADD COLUMN customer_id TEXT NOT NULL DEFAULT '00000000-0000-4000-8000-000000000002';
-- none, customer_admin or reseller_admin (of the home customer's reseller).
ALTER TABLE users ADD COLUMN tenancy_role TEXT NOT NULL DEFAULT 'none';
CREATE INDEX users_customer ON users (customer_id);

-- What each instance or data volume holds against the quotas of its project, customer
-- and reseller: freeing it subtracts exactly what it reserved, once. An instance holds its
-- root volume's GB (the root goes with it).
CREATE TABLE quota_holds (
    holder_id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    reseller_id TEXT NOT NULL,
    vcpus BIGINT NOT NULL,
    memory_mib BIGINT NOT NULL,
    instances BIGINT NOT NULL,
    volume_gb BIGINT NOT NULL
);
INSERT INTO quota_holds (holder_id, project_id, customer_id, reseller_id, vcpus, memory_mib, instances, volume_gb)
SELECT i.id, i.project_id, '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001',
       t.vcpus, t.memory_mib, 1,
       (SELECT COALESCE(SUM(v.size_gb), 0) FROM volumes v WHERE v.instance_id = i.id AND v.kind = 'root')
FROM instances i JOIN instance_types t ON t.id = i.instance_type_id;
INSERT INTO quota_holds (holder_id, project_id, customer_id, reseller_id, vcpus, memory_mib, instances, volume_gb)
SELECT v.id, v.project_id, '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001',
       0, 0, 0, v.size_gb
FROM volumes v WHERE v.kind <> 'root';

-- One row per reseller, customer and project: the limits (NULL: unlimited) and what is
-- held against them. The counters change in the same batch as the instance or volume
-- row they count, guarded by the limit, so concurrent creates can never overshoot.
CREATE TABLE quotas (
    scope_id TEXT PRIMARY KEY,
    vcpus BIGINT,
    memory_mib BIGINT,
    instances BIGINT,
    volume_gb BIGINT,
    vcpus_used BIGINT NOT NULL DEFAULT 0,
    memory_mib_used BIGINT NOT NULL DEFAULT 0,
    instances_used BIGINT NOT NULL DEFAULT 0,
    volume_gb_used BIGINT NOT NULL DEFAULT 0
);

-- The counters start as the sums of what is held.
INSERT INTO quotas (scope_id, vcpus_used, memory_mib_used, instances_used, volume_gb_used)
SELECT s.id,
       (SELECT COALESCE(SUM(h.vcpus), 0) FROM quota_holds h
         WHERE h.project_id = s.id OR h.customer_id = s.id OR h.reseller_id = s.id),
       (SELECT COALESCE(SUM(h.memory_mib), 0) FROM quota_holds h
         WHERE h.project_id = s.id OR h.customer_id = s.id OR h.reseller_id = s.id),
       (SELECT COALESCE(SUM(h.instances), 0) FROM quota_holds h
         WHERE h.project_id = s.id OR h.customer_id = s.id OR h.reseller_id = s.id),
       (SELECT COALESCE(SUM(h.volume_gb), 0) FROM quota_holds h
         WHERE h.project_id = s.id OR h.customer_id = s.id OR h.reseller_id = s.id)
FROM (SELECT id FROM projects UNION ALL SELECT id FROM customers UNION ALL SELECT id FROM resellers) s;
