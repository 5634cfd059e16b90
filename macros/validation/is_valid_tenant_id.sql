{#-
    True when the text is a tenant key: var('tenant_id_pattern') and at most
    var('tenant_id_max_length') characters; null when the text is null.
-#}
{%- macro is_valid_tenant_id(text_expression) -%}
    (
        {{ matches_pattern(text_expression, var('tenant_id_pattern')) }}
        and length({{ text_expression }}) <= {{ var('tenant_id_max_length') }}
    )
{%- endmacro -%}
