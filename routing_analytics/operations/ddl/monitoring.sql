create schema if not exists monitoring;
revoke all on schema monitoring from public;
create table if not exists monitoring.data_quality (
    run_id uuid not null,
    checked_at timestamptz not null,
    check_name text not null,
    check_kind text not null,
    rows_failing bigint,
    measured_value numeric,
    threshold text,
    status text not null,
    detail text,
    primary key (run_id, check_name)
);
comment on table monitoring.data_quality is
    'One row per check per `routing-analytics check` run: data-quality gates (dbt tests),'
    ' the Great Expectations contract and the monitoring figures, for dashboards of data'
    ' health. Kept for the aggregate retention period.';
comment on column monitoring.data_quality.run_id is
    'The check run; every check of one run shares it.';
comment on column monitoring.data_quality.checked_at is
    'When the run stored its results (UTC).';
comment on column monitoring.data_quality.check_name is
    'The check: a dbt test name, great_expectations_contract or a monitoring figure.';
comment on column monitoring.data_quality.check_kind is
    'dbt_test (a data-quality gate), expectations (the consumer contract) or monitor.';
comment on column monitoring.data_quality.rows_failing is
    'Rows that failed the check (gates, contract, isolation gaps); null for a measurement.';
comment on column monitoring.data_quality.measured_value is
    'The figure measured (minutes, percent, bytes, milliseconds, as the name says); null for'
    ' a row count check.';
comment on column monitoring.data_quality.threshold is
    'The limit the check is held to, as text (e.g. "<= 5"); null when none applies.';
comment on column monitoring.data_quality.status is
    'pass, warn (counted and listed for review), fail (an alert: the run exited 1) or info'
    ' (measured, no threshold).';
comment on column monitoring.data_quality.detail is
    'What failed (the dbt message, expectations not met, relations without isolation) or the'
    ' breakdown of a figure (storage per schema, the slowest dashboard query).';
do $grant$ begin
    if exists (select from pg_catalog.pg_roles where rolname = 'analytics_analyst') then
        grant usage on schema monitoring to analytics_analyst;
        grant select on monitoring.data_quality to analytics_analyst;
    end if;
end $grant$
