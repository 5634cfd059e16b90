-- Landing zone owned by the loader. Applied on every load; every statement is idempotent.
-- Raw tables are append-only: rows are only ever added by COPY. The statement trigger below
-- refuses UPDATE, DELETE and TRUNCATE unless a maintenance job (GDPR deletion, retention)
-- sets routing_analytics.maintenance = 'on' for its own transaction.

create schema if not exists raw;
revoke all on schema raw from public;

-- raw.ddl_versions (which versions of this file were applied) is created by loader/raw_schema.py.

create table if not exists raw.loads (
    load_id bigint generated always as identity primary key,
    stream text not null,
    source_file text not null,
    file_sha256 text,
    file_bytes bigint,
    lines_read bigint,
    rows_landed bigint,
    rows_quarantined bigint,
    metadata_entries_removed bigint,
    error_message_redactions bigint,
    user_ids_pseudonymised bigint,
    pseudonym_key_id text,
    status text not null,
    message text,
    backend_pid integer not null default pg_backend_pid(),
    started_at timestamptz not null default clock_timestamp(),
    finished_at timestamptz,
    constraint loads_status_known check (
        status in ('running', 'succeeded', 'skipped', 'failed', 'interrupted')
    ),
    constraint loads_counts_reconcile check (
        status <> 'succeeded' or lines_read = rows_landed + rows_quarantined
    )
);

-- One successful load per content: the idempotency guarantee, enforced by the database.
create unique index if not exists loads_one_success_per_content
    on raw.loads (stream, file_sha256) where status = 'succeeded';

create table if not exists raw.quarantined_lines (
    _load_id bigint not null references raw.loads (load_id),
    stream text not null,
    _source_file text not null,
    _line_number bigint not null,
    raw_text text,
    raw_bytes bytea,
    reason text not null,
    _quarantined_at timestamptz not null default now(),
    constraint quarantined_lines_keep_original check (raw_text is not null or raw_bytes is not null)
);
-- Original lines may hold anything the sender put there: readable by the owner only.
revoke all on raw.quarantined_lines from public;

-- The operator's word on a load (`routing-analytics loads withdraw|restore`): an append-only
-- log, the latest action per load wins. Rows of a withdrawn load stay in raw for the record;
-- staging ignores them and the reconciliation counts them as withdrawn.
create table if not exists raw.load_withdrawals (
    action_id bigint generated always as identity primary key,
    load_id bigint not null references raw.loads (load_id),
    action text not null,
    reason text not null,
    acted_by text not null default current_user,
    acted_at timestamptz not null default clock_timestamp(),
    constraint load_withdrawals_action_known check (action in ('withdraw', 'restore')),
    constraint load_withdrawals_reason_given check (length(btrim(reason)) > 0)
);
create index if not exists load_withdrawals_load on raw.load_withdrawals (load_id, action_id);

-- Loads whose records passed the data-quality gates of a build that was then published
-- (`run` after its swap, `build` on success). The rate gates judge only the loads not in
-- here: what a run adds, so that one bad batch in the past cannot block every later run.
create table if not exists raw.published_loads (
    load_id bigint primary key references raw.loads (load_id),
    published_at timestamptz not null default clock_timestamp(),
    published_by text not null,
    constraint published_loads_by_known check (published_by in ('run', 'build'))
);

create or replace function raw.forbid_changes() returns trigger
language plpgsql as $$
begin
    if coalesce(current_setting('routing_analytics.maintenance', true), '') <> 'on' then
        raise exception 'raw.% is append-only (% refused)', tg_table_name, tg_op;
    end if;
    return null;
end;
$$;

-- Refuses UPDATE, DELETE and TRUNCATE on raw.<p_table> (forbid_changes), once. A partition
-- needs its own trigger: a statement aimed at it skips its parent's.
create or replace function raw.make_append_only(p_table text) returns void
language plpgsql
as $$
begin
    if not exists (
        select 1 from pg_trigger
        where tgname = 'append_only' and tgrelid = format('raw.%I', p_table)::regclass
    ) then
        execute format(
            'create trigger append_only before update or delete or truncate on raw.%I
             for each statement execute function raw.forbid_changes()', p_table);
    end if;
end;
$$;

-- Summarizes the BRIN ranges of _loaded_at that a landing filled, at once (the loader calls
-- it after each landing). Readers bound their scans of raw by _loaded_at (incremental
-- staging, a run's contract, monitoring), and a BRIN scan returns every range not yet
-- summarized: left to autovacuum, that is every row landed since the table's last vacuum.
create or replace function raw.summarize_landings(p_table text) returns void
language plpgsql
as $$
declare
    v_parent regclass := to_regclass(format('raw.%I', p_table));
    v_index regclass;
begin
    for v_index in
        select index_class.oid::regclass
        from pg_index as index
        inner join pg_class as index_class on index_class.oid = index.indexrelid
        inner join pg_am as access_method on access_method.oid = index_class.relam
        where
            access_method.amname = 'brin'
            and index_class.relkind = 'i'
            and index.indrelid in (
                select v_parent
                union all
                select inheritance.inhrelid
                from pg_inherits as inheritance
                where inheritance.inhparent = v_parent
            )
    loop
        perform brin_summarize_new_values(v_index);
    end loop;
end;
$$;

-- raw.task_executions, the one raw table that grows with every task, is partitioned by the
-- month it landed in (_loaded_at, UTC): a landing only ever writes the current month, however
-- late or early its tasks (the record's own times are unchecked text until staging types
-- them), incremental staging reads the newest partitions only, and retention can drop a
-- month once all of it is forgotten. The months before the partitions began are one
-- partition (task_executions_before_YYYY_MM: the table a warehouse had before, attached).
create or replace function raw.ensure_monthly_partitions(
    p_table text, p_at timestamptz default now()
) returns void
language plpgsql
as $$
declare
    v_parent regclass := to_regclass(format('raw.%I', p_table));
    -- Months as UTC wall-clock timestamps: `+ interval '1 month'` on a timestamptz would
    -- follow the session's time zone.
    v_first_month timestamp := date_trunc('month', p_at at time zone 'UTC');
    v_history_end timestamp;
    v_month timestamp;
    v_partition text;
begin
    if v_parent is null or (select relkind from pg_class where oid = v_parent) <> 'p' then
        return;
    end if;
    select max(to_date(substring(child.relname from 'before_(\d{4}_\d{2})$'), 'YYYY_MM'))
        into v_history_end
    from pg_inherits as inheritance
    inner join pg_class as child on child.oid = inheritance.inhrelid
    where inheritance.inhparent = v_parent;
    -- The month of p_at and the next one, so that a month never starts without its partition.
    foreach v_month in array array[v_first_month, v_first_month + interval '1 month'] loop
        v_partition := p_table || '_' || to_char(v_month, 'YYYY_MM');
        continue when v_month < coalesce(v_history_end, '-infinity')
            or to_regclass(format('raw.%I', v_partition)) is not null;
        -- Created apart, then attached: ATTACH takes a lock that lets loads and readers of
        -- the parent go on (CREATE ... PARTITION OF would wait for them and stop them).
        execute format(
            'create table raw.%I (like raw.%I including defaults)', v_partition, p_table);
        execute format(
            'alter table raw.%I attach partition raw.%I for values from (%L) to (%L)',
            p_table, v_partition, v_month at time zone 'UTC',
            (v_month + interval '1 month') at time zone 'UTC');
        perform raw.make_append_only(v_partition);
    end loop;
end;
$$;

do $$
declare
    stream_table text;
    this_month timestamp := date_trunc('month', now() at time zone 'UTC');
    history_end timestamp := this_month + interval '1 month';
    history_partition text := 'task_executions_before_' || to_char(history_end, 'YYYY_MM');
begin
    -- A warehouse from before the partitioning: its table becomes the history partition.
    if (select relkind from pg_class where oid = to_regclass('raw.task_executions')) = 'r' then
        execute format('alter table raw.task_executions rename to %I', history_partition);
        execute format('alter index raw.task_executions_loaded_at_brin rename to %I',
            history_partition || '_loaded_at_brin');
        execute format('drop trigger if exists append_only on raw.%I', history_partition);
    end if;
    if to_regclass('raw.task_executions') is null then
        create table raw.task_executions (
            _load_id bigint not null,
            _source_file text not null,
            _line_number bigint not null,
            _loaded_at timestamptz not null default now(),
            record jsonb not null
        ) partition by range (_loaded_at);
        if to_regclass(format('raw.%I', history_partition)) is not null then
            execute format(
                'alter table raw.task_executions attach partition raw.%I
                 for values from (minvalue) to (%L)',
                history_partition, history_end at time zone 'UTC');
        else
            execute format(
                'create table raw.%I partition of raw.task_executions
                 for values from (minvalue) to (%L)',
                'task_executions_before_' || to_char(this_month, 'YYYY_MM'),
                this_month at time zone 'UTC');
        end if;
    end if;
    foreach stream_table in array array[
        'routing_decisions', 'provider_pricing', 'usage_events', 'tenants'
    ] loop
        execute format(
            'create table if not exists raw.%I (
                _load_id bigint not null,
                _source_file text not null,
                _line_number bigint not null,
                _loaded_at timestamptz not null default now(),
                record jsonb not null
            )', stream_table);
    end loop;
    foreach stream_table in array array[
        'task_executions', 'routing_decisions', 'provider_pricing', 'usage_events', 'tenants'
    ] loop
        execute format(
            'create index if not exists %I on raw.%I using brin (_loaded_at)',
            stream_table || '_loaded_at_brin', stream_table);
    end loop;
    perform raw.ensure_monthly_partitions('task_executions');
    foreach stream_table in array array[
        'task_executions', 'routing_decisions', 'provider_pricing', 'usage_events', 'tenants',
        'quarantined_lines', 'load_withdrawals'
    ] loop
        perform raw.make_append_only(stream_table);
    end loop;
    for stream_table in
        select child.relname
        from pg_inherits as inheritance
        inner join pg_class as child on child.oid = inheritance.inhrelid
        where inheritance.inhparent = 'raw.task_executions'::regclass
    loop
        perform raw.make_append_only(stream_table);
    end loop;
end;
$$;

-- Retention (routing_analytics/operations/retention.py) keeps its books here, and the aggregate marts read them:
-- runs.detail_kept_from seals every aggregate period older than the task-level detail still
-- held (those figures can no longer be recomputed, so the marts keep them as they are);
-- usage_users_seen remembers, per tenant and pseudonymous user, the days of the usage events
-- retention deleted, so that a returning user is not counted as new.
create schema if not exists retention;
revoke all on schema retention from public;

create table if not exists retention.runs (
    run_id bigint generated always as identity primary key,
    ran_at timestamptz not null default now(),
    as_of timestamptz not null,
    detail_kept_from timestamptz not null,
    aggregates_kept_from timestamptz not null,
    quarantine_kept_from timestamptz not null,
    rows_removed jsonb not null default '{}'
);

create table if not exists retention.usage_users_seen (
    tenant_id text not null,
    user_id text not null,
    first_seen_date date not null,
    last_seen_date date not null,
    primary key (tenant_id, user_id)
);
