{#-
    The cost of one task execution at one price row, USD, exact numeric with trailing zeros
    trimmed; null when no price row is joined (price_id null). The formulas of
    int_task_executions_costed: token part (with a token split: (input - cache read - cache
    write) * input rate + cache read * cache-read rate + cache write * cache-write rate +
    output * output rate, a missing cache rate falling back to the input rate and a missing
    input or output rate to cost_per_token; without a split: tokens_used * cost_per_token,
    or, for a row with only input/output rates, tokens_used * the higher or lower of the
    two as `unsplit_rate` says) + cost_per_request + cost_per_minute * duration_ms / 60000.
    A component the row does not set contributes 0. `task` and `price` are the aliases of
    relations with the column names of stg_router__task_executions and
    int_provider_prices_effective. int_task_executions_costed still spells the formula out
    (unsplit_rate 'higher'); it can adopt this macro later.
-#}
{%- macro task_cost_usd(task, price, unsplit_rate) -%}
    {%- if task is none or (task | string | trim | length == 0)
        or price is none or (price | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error("task_cost_usd: task and price aliases are required") }}
    {%- endif -%}
    {%- if unsplit_rate not in ['higher', 'lower'] -%}
        {{ exceptions.raise_compiler_error(
            "task_cost_usd: unsplit_rate must be 'higher' or 'lower', got " ~ unsplit_rate
        ) }}
    {%- endif -%}
    {%- set unsplit_function = 'greatest' if unsplit_rate == 'higher' else 'least' -%}
    {%- set input_rate -%}
        coalesce({{ price }}.input_cost_per_token_usd, {{ price }}.cost_per_token_usd)
    {%- endset -%}
    {%- set untrimmed_cost -%}
        case
            when {{ task }}.has_token_split
                then
                    coalesce(
                        ({{ task }}.input_tokens - {{ task }}.cache_read_tokens
                        - {{ task }}.cache_write_tokens) * {{ input_rate }},
                        0
                    )
                    + coalesce(
                        {{ task }}.cache_read_tokens
                        * coalesce({{ price }}.cache_read_cost_per_token_usd, {{ input_rate }}),
                        0
                    )
                    + coalesce(
                        {{ task }}.cache_write_tokens
                        * coalesce({{ price }}.cache_write_cost_per_token_usd, {{ input_rate }}),
                        0
                    )
                    + coalesce(
                        {{ task }}.output_tokens * coalesce(
                            {{ price }}.output_cost_per_token_usd, {{ price }}.cost_per_token_usd
                        ),
                        0
                    )
            when {{ price }}.cost_per_token_usd is not null
                then {{ task }}.tokens_used * {{ price }}.cost_per_token_usd
            else
                coalesce(
                    {{ task }}.tokens_used * {{ unsplit_function }}(
                        {{ price }}.input_cost_per_token_usd, {{ price }}.output_cost_per_token_usd
                    ),
                    0
                )
        end
        + coalesce({{ price }}.cost_per_request_usd, 0)
        + coalesce(
            {{ safe_divide(price ~ '.cost_per_minute_usd * ' ~ task ~ '.duration_ms', 60000) }},
            0
        )
    {%- endset -%}
    case
        when {{ price }}.price_id is not null then {{ trim_numeric_scale(untrimmed_cost) }}
    end
{%- endmacro -%}
