with

load_withdrawals as (
    select
        action_id,
        load_id,
        action,
        acted_at
    from {{ source('router', 'load_withdrawals') }}
),

final as (
    select
        action_id as load_withdrawal_action_id,
        load_id,
        action as withdrawal_action,
        acted_at
    from load_withdrawals
)

select * from final
