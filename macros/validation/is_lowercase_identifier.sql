{#-
    True when the text is a lowercase identifier (a-z first, then a-z, 0-9 or _), the form of
    provider keys, pricing tiers and event types; null when the text is null.
-#}
{%- macro is_lowercase_identifier(text_expression) -%}
    {{ matches_pattern(text_expression, '^[a-z][a-z0-9_]*$') }}
{%- endmacro -%}
