-- The operator withdraws a bad load (`routing-analytics loads withdraw`) and may restore it;
-- the latest action per load wins. Staging ignores the rows of the loads listed here.
with

load_withdrawals as (
    select
        action_id,
        load_id,
        action,
        reason,
        acted_by,
        acted_at
    from {{ source('router', 'load_withdrawals') }}
),

actions_ranked as (
    select
        *,
        row_number() over (partition by load_id order by action_id desc) as action_rank
    from load_withdrawals
),

final as (
    select
        load_id,
        reason as withdrawal_reason,
        acted_by as withdrawn_by,
        acted_at as withdrawn_at
    from actions_ranked
    where action_rank = 1 and action = 'withdraw'
)

select * from final
