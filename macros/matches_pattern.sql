{#-
    True when the text matches the regular expression `pattern` (a Jinja string, PostgreSQL
    ARE syntax on PostgreSQL); null when the text is null.
-#}
{%- macro matches_pattern(text_expression, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern', 'routing_analytics')(
        text_expression, pattern
    )) }}
{%- endmacro -%}

{%- macro default__matches_pattern(text_expression, pattern) -%}
    {{ exceptions.raise_compiler_error("matches_pattern: not implemented for " ~ adapter.type()) }}
{%- endmacro -%}

{%- macro postgres__matches_pattern(text_expression, pattern) -%}
    ({{ text_expression }} ~ {{ sql_pattern_literal(pattern) }})
{%- endmacro -%}
