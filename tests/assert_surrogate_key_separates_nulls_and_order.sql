-- Self-test of the surrogate_key macro: returns a row for each property that does not hold.
-- A null part neither nulls the key nor equals an empty string;
-- the order of the parts matters; the key is a 32-character md5.
with

keys_computed as (
    select
        {{ surrogate_key(["'openai'", "cast(null as varchar)", "'standard'"]) }}
            as null_model_key,
        {{ surrogate_key(["'openai'", "''", "'standard'"]) }} as empty_model_key,
        {{ surrogate_key(["'openai'", "'standard'"]) }} as two_part_key,
        {{ surrogate_key(["'standard'", "'openai'"]) }} as swapped_key
),

final as (
    select 'null part gives a null key' as failure
    from keys_computed
    where null_model_key is null
    union all
    select 'null part equals an empty string' as failure
    from keys_computed
    where null_model_key = empty_model_key
    union all
    select 'order of the parts is ignored' as failure
    from keys_computed
    where two_part_key = swapped_key
    union all
    select 'key is not 32 characters' as failure
    from keys_computed
    where {{ dbt.length('two_part_key') }} <> 32
)

select * from final
