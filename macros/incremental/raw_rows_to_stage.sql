{#-
    The incremental base models type and check only the raw rows whose result can have
    changed since their last build. loads_to_stage() is the body of a CTE `loads_to_stage`
    (load_id, started_at), defined on incremental builds: the loads of `streams`
    (raw.loads.stream) that

    - landed since (a load that finished before the newest staged load started had
      committed by then, so it was staged with it; an hour of margin covers the clock);
    - were withdrawn or restored since (is_withdrawn is kept per row);
    - hold a row whose provider became known (a new price row) or unknown (a withdrawn
      price load), when the model checks providers (provider_column).

    On a full build, and when the rules changed (staging_rules_version()), every row is
    staged: raw_rows_to_stage() is true.

    raw_rows_to_stage() is the WHERE condition on the raw relation: the loads' first
    landing bounds the BRIN scan of raw; delete+insert on (_load_id, _line_number) then
    replaces what was staged before.
-#}
{%- macro loads_to_stage(streams, provider_column=none) -%}
    {%- if staging_rules_unchanged() -%}
    select loads.load_id, loads.started_at
    from {{ source('router', 'loads') }} as loads
    where loads.load_id in ({{ _loads_changed_since_staged(streams, provider_column) }})
    {%- else -%}
    {#- Unused (raw_rows_to_stage() is true), and the staged rows may predate its columns. -#}
    select cast(null as bigint) as load_id, cast(null as timestamptz) as started_at
    where false
    {%- endif -%}
{%- endmacro -%}


{%- macro raw_rows_to_stage(provider_column=none) -%}
    {#- Named on every parse, so that dbt knows what the incremental branch reads. -#}
    {%- set read = [
        source('router', 'loads'), source('router', 'load_withdrawals'),
        ref('base_router__withdrawn_loads'),
    ] -%}
    {%- if provider_column is not none -%}
        {%- do read.extend([
            source('router', 'provider_pricing'), ref('provider_catalog'),
            ref('base_router__known_providers'),
        ]) -%}
    {%- endif -%}
    {%- if is_incremental() and staging_rules_unchanged() -%}
    _load_id in (select loads_to_stage.load_id from loads_to_stage)
    and _loaded_at >= (select min(loads_to_stage.started_at) from loads_to_stage)
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro -%}


{%- macro _loads_changed_since_staged(streams, provider_column) -%}
    select loads.load_id
    from {{ source('router', 'loads') }} as loads
    where
        loads.stream in ({{ sql_string_list(streams) }})
        and loads.status = 'succeeded'
        and loads.rows_landed > 0
        and loads.finished_at >= (
            select coalesce(min(newest.started_at), '-infinity') - interval '1 hour'
            from {{ source('router', 'loads') }} as newest
            where newest.load_id = (select max(staged._load_id) from {{ this }} as staged)
        )
        -- Probed load by load, in the order of the index on (_load_id, _line_number): as an
        -- anti-join, or planned from statistics taken when the table held one load, this
        -- read every staged row.
        and not exists (
            select from {{ this }} as staged
            where staged._load_id = loads.load_id
            order by staged._line_number
            limit 1
            {{ optimization_fence() }}
        )
    union
    select withdrawn.load_id
    from {{ ref('base_router__withdrawn_loads') }} as withdrawn
    where exists (
        select from {{ this }} as staged
        where staged._load_id = withdrawn.load_id and not staged.is_withdrawn
    )
    union
    select restored.load_id
    from {{ source('router', 'load_withdrawals') }} as restored
    where
        restored.load_id not in (
            select withdrawn.load_id from {{ ref('base_router__withdrawn_loads') }} as withdrawn
        )
        and exists (
            select from {{ this }} as staged
            where staged._load_id = restored.load_id and staged.is_withdrawn
        )
    {%- if provider_column is not none %}
    union
    select flipped._load_id
    from {{ ref('base_router__known_providers') }} as known
    cross join lateral (
        select staged._load_id
        from {{ this }} as staged
        where staged.{{ provider_column }} = known.provider_key and not staged.is_known_provider
    ) as flipped
    union
    select flipped._load_id
    from (
        select provider_key from {{ ref('provider_catalog') }}
        union
        select {{ json_text('prices.record', 'provider') }}
        from {{ source('router', 'provider_pricing') }} as prices
        except
        select provider_key from {{ ref('base_router__known_providers') }}
    ) as lost
    cross join lateral (
        select staged._load_id
        from {{ this }} as staged
        where staged.{{ provider_column }} = lost.provider_key and staged.is_known_provider
    ) as flipped
    {%- endif %}
{%- endmacro -%}


{#-
    What the base models' rules depend on besides the SQL of their own files: the vars of
    dbt_project.yml they read. A row staged under other rules is staged again.
-#}
{%- macro staging_rules_version() -%}
    {%- set rule_vars = {} -%}
    {%- for name in [
        'privacy_sensitive_key_pattern', 'privacy_secret_pattern', 'privacy_email_pattern',
        'privacy_max_inspected_chars', 'privacy_path_pattern', 'tenant_id_pattern',
        'tenant_id_max_length', 'redacted_identifier', 'user_id_pseudonym_pattern', 'router_task_types',
        'router_execution_statuses', 'router_complexities', 'router_routing_reasons',
        'router_pricing_models', 'router_plans', 'max_future_minutes', 'min_event_at',
        'max_task_cost_usd', 'min_positive_money_usd', 'max_tokens_per_task',
        'max_task_duration_ms', 'max_price_rate_usd', 'max_price_lead_days',
    ] -%}
        {%- do rule_vars.update({name: var(name)}) -%}
    {%- endfor -%}
    {{- return(local_md5(model.checksum.checksum ~ tojson(rule_vars, sort_keys=true))) -}}
{%- endmacro -%}


{#- True when every staged row was checked by the rules of this build (one row tells:
    a build stages either everything or rows of the same version as the rest). -#}
{%- macro staging_rules_unchanged() -%}
    {%- if not execute -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if '_rules_version' not in columns -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set found = run_query(
        "select _rules_version from " ~ this ~ " limit 1"
    ) -%}
    {{- return(found.rows | length == 0 or found.rows[0][0] == staging_rules_version()) -}}
{%- endmacro -%}


{#-
    The incremental marts' watermark: the newest `column` (a build stamp) they hold, or
    -infinity when they hold none or were built before the column existed (then everything
    is re-built once and the column appended).
-#}
{%- macro built_from(column) -%}
    {%- if built_has_columns([column]) -%}
        coalesce(max({{ column }}), cast('-infinity' as timestamptz))
    {%- else -%}
        {#- An aggregate all the same: one row, whatever the mart holds. -#}
        coalesce(max(cast(null as timestamptz)), cast('-infinity' as timestamptz))
    {%- endif -%}
{%- endmacro -%}


{#- Whether the incremental model's own relation has every one of `columns` (a mart built
    by an older version may lack a newer column). In a unit test `this` is the name of the
    fixture, which has them. -#}
{%- macro built_has_columns(columns) -%}
    {%- if this is string -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set built = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {{- return(columns | reject('in', built) | list | length == 0) -}}
{%- endmacro -%}
