{#-
    Fails on every row of the model for which `expression` is not true (false or null). Use it
    for accounting identities, e.g. expression: "tokens_used = input_tokens + output_tokens";
    limit the rows checked with the standard `config: where:`. Under a column, the expression
    is still written in full (column_name is accepted and not used).
-#}
{%- test expression_is_true(model, expression, column_name=none) -%}
    {%- if expression is not string or expression | trim | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "expression_is_true: expression must be a non-empty SQL expression"
        ) }}
    {%- endif -%}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{%- endtest -%}
