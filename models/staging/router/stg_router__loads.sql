with

loads as (
    select
        load_id,
        stream,
        source_file,
        file_sha256,
        file_bytes,
        lines_read,
        rows_landed,
        rows_quarantined,
        metadata_entries_removed,
        error_message_redactions,
        user_ids_pseudonymised,
        pseudonym_key_id,
        status,
        message,
        started_at,
        finished_at
    from {{ source('router', 'loads') }}
),

final as (
    select
        load_id,
        pseudonym_key_id,
        stream,
        source_file,
        file_sha256,
        status as load_status,
        message as status_message,
        file_bytes,
        lines_read,
        rows_landed,
        rows_quarantined,
        metadata_entries_removed,
        error_message_redactions,
        user_ids_pseudonymised,
        started_at,
        finished_at
    from loads
)

select * from final
