{#-
    True when the text matches the regular expression `pattern` (a Jinja string, PostgreSQL
    ARE syntax on PostgreSQL); null when the text is null.
-#}
{%- macro matches_pattern(text_expression, pattern) -%}
    ({{ text_expression }} ~ {{ sql_pattern_literal(pattern) }})
{%- endmacro -%}
