{#-
    Second line of defence for free text (error_message): every match of the secret, e-mail
    and path patterns (vars privacy_secret_pattern, privacy_email_pattern,
    privacy_path_pattern), in that order, replaced by <secret>, <email> and <path>, as
    loader/privacy.py redact_text does. Text the loader already redacted stays as it is.
-#}
{%- macro redact_sensitive_text(text_expression) -%}
    {%- set limit = var('privacy_max_inspected_chars') -%}
    regexp_replace(
        regexp_replace(
            regexp_replace(
                -- Only the first privacy_max_inspected_chars characters are kept and inspected.
                left({{ text_expression }}, {{ limit }})
                || case when length({{ text_expression }}) > {{ limit }} then '<truncated>' else '' end,
                {{ sql_pattern_literal(var('privacy_secret_pattern')) }}, '<secret>', 'g'
            ),
            {{ sql_pattern_literal(var('privacy_email_pattern')) }}, '<email>', 'g'
        ),
        {{ sql_pattern_literal(var('privacy_path_pattern')) }}, '<path>', 'g'
    )
{%- endmacro -%}
