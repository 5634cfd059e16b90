{#- Compiler error unless both relation aliases of a task cost macro are given. -#}
{%- macro _require_task_and_price(macro_name, task, price) -%}
    {%- if task is none or (task | string | trim | length == 0)
        or price is none or (price | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error(
            macro_name ~ ": the task and price relation aliases are required"
        ) }}
    {%- endif -%}
{%- endmacro -%}
