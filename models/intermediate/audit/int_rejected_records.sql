{%- set streams = [
    'task_executions', 'routing_decisions', 'provider_pricing', 'usage_events', 'tenants',
] -%}

with

{% for stream in streams -%}
base_router__{{ stream }} as (
    select
        record_key,
        rejection_reason,
        rejection_reasons,
        {%- if stream == 'routing_decisions' %}
        is_embedded,
        {%- endif %}
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        _staged_at
    from {{ ref('base_router__' ~ stream) }}
    where is_rejected and not is_withdrawn
),

{% endfor -%}

rejected_unioned as (
    {%- for stream in streams %}
    select
        '{{ stream }}' as stream,
        {%- if stream == 'routing_decisions' %}
        case when is_embedded then 'task_executions' else 'routing_decisions' end as raw_table,
        {%- else %}
        '{{ stream }}' as raw_table,
        {%- endif %}
        record_key,
        rejection_reason,
        rejection_reasons,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        _staged_at
    from base_router__{{ stream }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        stream,
        raw_table,
        record_key,
        rejection_reason,
        rejection_reasons,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        _staged_at
    from rejected_unioned
)

select * from final
