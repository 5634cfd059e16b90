{#-
    Creates the helper functions the staging casts call, in schema var('util_schema').
    Run by on-run-start; idempotent, and serialised with an advisory lock so that concurrent
    dbt invocations do not fail with "tuple concurrently updated".
-#}
{%- macro create_util_functions() -%}
    {%- set util_schema = var('util_schema') -%}
    do $create_util_functions$
    begin
        perform pg_advisory_xact_lock(hashtext('routing_analytics.create_util_functions'));
        create schema if not exists {{ adapter.quote(util_schema) }};
        -- A text to timestamptz cast that returns null instead of raising: the timestamp
        -- input routine is the only reliable calendar check (2026-02-30, 24:00:00, ...).
        -- Parallel unsafe: its exception block is a subtransaction, which PostgreSQL
        -- refuses in parallel mode ("cannot start commands during a parallel operation").
        create or replace function {{ adapter.quote(util_schema) }}.try_cast_timestamptz(
            value text
        ) returns timestamptz
        language plpgsql stable parallel unsafe
        as $try_cast_timestamptz$
        begin
            return value::timestamptz;
        exception when data_exception then
            return null;
        end;
        $try_cast_timestamptz$;
    end;
    $create_util_functions$
{%- endmacro -%}
