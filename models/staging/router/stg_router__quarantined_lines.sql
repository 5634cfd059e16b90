-- The original text and bytes of the lines stay in raw (owner only): they may hold anything.
with

quarantined_lines as (
    select
        _load_id,
        stream,
        _source_file,
        _line_number,
        reason,
        _quarantined_at
    from {{ source('router', 'quarantined_lines') }}
),

final as (
    select
        stream,
        reason as quarantine_reason,
        _quarantined_at as quarantined_at,
        _load_id,
        _source_file,
        _line_number
    from quarantined_lines
)

select * from final
