{#-
    Second line of defence for free-form JSON objects (metadata, user_preferences): the
    object without its top-level entries whose key matches var('privacy_sensitive_key_pattern')
    (case-insensitively) or whose value, as text, matches the secret, e-mail or path pattern or
    holds a newline. The rules of loader/privacy.py, re-applied to rows landed by an older
    loader or by hand. Null stays null; any other non-object is returned unchanged (callers
    reject those).

    Cost: the loader has normally scrubbed already, so most objects are clean. A cheap
    pre-check (necessary conditions only, see privacy_may_need_scrubbing) returns those
    unchanged; only the rest go through jsonb_each and the full patterns. The full value
    pattern costs ~50 us per object in PostgreSQL's regex engine, the pre-check ~3 us.
-#}
{%- macro scrub_sensitive_entries(json_object) -%}
    {%- set sensitive_value_pattern = '(?:' ~ var('privacy_secret_pattern') ~ ')|(?:'
        ~ var('privacy_email_pattern') ~ ')|(?:' ~ var('privacy_path_pattern') ~ ')|\\n' -%}
    case
        when jsonb_typeof({{ json_object }}) <> 'object' then {{ json_object }}
        when not {{ privacy_may_need_scrubbing(json_object) }} then {{ json_object }}
        else (
            select coalesce(jsonb_object_agg(json_entry.key, json_entry.value), '{}'::jsonb)
            from jsonb_each({{ json_object }}) as json_entry
            where
                json_entry.key !~* {{ sql_pattern_literal(var('privacy_sensitive_key_pattern')) }}
                -- Longer text is sensitive by its length and never meets the patterns.
                and length(coalesce(json_entry.value #>> '{}', ''))
                <= {{ var('privacy_max_inspected_chars') }}
                and coalesce(json_entry.value #>> '{}', '')
                !~ {{ sql_pattern_literal(sensitive_value_pattern) }}
        )
    end
{%- endmacro -%}
