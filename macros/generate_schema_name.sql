{#-
    Custom schema names are used as they are (staging, int, analytics), not prefixed with the
    target schema: every environment has its own database, so the prefix adds nothing.
-#}
{%- macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro -%}
