create schema if not exists audit;
revoke all on schema audit from public;
create table if not exists audit.tenant_deletions (
    deletion_id bigint generated always as identity primary key,
    tenant_key_hash text not null,
    deleted_at timestamptz not null default now(),
    rows_removed jsonb not null
);
