{#-
    The token part of a task's cost at one price row, USD, exact (untrimmed); null when no
    price row is joined (`price`.price_id null), 0 when the row sets no token rate. With a
    token split: (input - cache read - cache write) * input rate + cache read * cache-read
    rate + cache write * cache-write rate + output * output rate (a missing cache rate falls
    back to the input rate, a missing input or output rate to cost_per_token). Without a
    split: tokens_used * cost_per_token, or for a row with only input/output rates
    tokens_used * the higher or lower of the two, as `unsplit_rate` says.
-#}
{%- macro task_token_cost_usd(task, price, unsplit_rate) -%}
    {%- do _require_task_and_price('task_token_cost_usd', task, price) -%}
    {%- if unsplit_rate not in ['higher', 'lower'] -%}
        {{ exceptions.raise_compiler_error(
            "task_token_cost_usd: unsplit_rate must be 'higher' or 'lower', got " ~ unsplit_rate
        ) }}
    {%- endif -%}
    {%- set unsplit_function = 'greatest' if unsplit_rate == 'higher' else 'least' -%}
    {%- set input_rate -%}
        coalesce({{ price }}.input_cost_per_token_usd, {{ price }}.cost_per_token_usd)
    {%- endset -%}
    case
        when {{ price }}.price_id is null then null
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
{%- endmacro -%}
