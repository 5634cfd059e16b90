{%- set fixture -%}
    (
        select *
        from (
            values
            (1, 'a', 10, 10),
            (2, 'a', 20, 25),
            (3, 'b', 30, 30),
            (3, 'b', 40, null)
        ) as fixture_rows (fixture_id, fixture_group, amount, amount_copy)
    )
{%- endset -%}
{%- set referenced_fixture -%}
    (
        select *
        from (values ('a', 1), ('a', 2), ('b', 2)) as referenced_rows (tenant_id, key_id)
    )
{%- endset -%}
{%- set referencing_fixture -%}
    (
        select *
        from (
            values ('a', 1), ('a', 2), ('b', 2), ('a', null), ('b', 1), ('a', 9)
        ) as referencing_rows (tenant_id, key_id)
    )
{%- endset -%}
-- The failing fixture of our generic tests: each one runs on a small inline relation with
-- known bad rows and must report exactly those. Returns a row per test that miscounts.
with

expression_is_true_failures as (
    {{ test_expression_is_true(model=fixture ~ ' as fixture', expression='amount = amount_copy') }}
),

accepted_range_failures as (
    {{ test_accepted_range(
        model=fixture ~ ' as fixture', column_name='amount', min_value=15, max_value=30
    ) }}
),

accepted_range_exclusive_failures as (
    {{ test_accepted_range(
        model=fixture ~ ' as fixture', column_name='amount', min_value=10, inclusive=false
    ) }}
),

unique_combination_failures as (
    {{ test_unique_combination_of_columns(
        model=fixture ~ ' as fixture', combination_of_columns=['fixture_id', 'fixture_group']
    ) }}
),

unique_combination_passes as (
    {{ test_unique_combination_of_columns(
        model=fixture ~ ' as fixture', combination_of_columns=['amount']
    ) }}
),

-- ('b', 1) names tenant a's key: another tenant's row is no match.
relationships_within_tenant_failures as (
    {{ test_relationships_within_tenant(
        model=referencing_fixture, column_name='key_id',
        to=referenced_fixture, field='key_id'
    ) }}
),

failures_counted as (
    select
        'expression_is_true' as generic_test,
        2 as expected_failures,
        (select count(*) from expression_is_true_failures) as actual_failures
    union all
    select
        'accepted_range' as generic_test,
        2 as expected_failures,
        (select count(*) from accepted_range_failures) as actual_failures
    union all
    select
        'accepted_range exclusive' as generic_test,
        1 as expected_failures,
        (select count(*) from accepted_range_exclusive_failures) as actual_failures
    union all
    select
        'unique_combination_of_columns' as generic_test,
        1 as expected_failures,
        (select count(*) from unique_combination_failures) as actual_failures
    union all
    select
        'unique_combination_of_columns (unique)' as generic_test,
        0 as expected_failures,
        (select count(*) from unique_combination_passes) as actual_failures
    union all
    select
        'relationships_within_tenant' as generic_test,
        2 as expected_failures,
        (select count(*) from relationships_within_tenant_failures) as actual_failures
),

final as (
    select
        generic_test,
        expected_failures,
        actual_failures
    from failures_counted
    where actual_failures <> expected_failures
)

select * from final
