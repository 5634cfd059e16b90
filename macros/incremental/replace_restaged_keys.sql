{#-
    The incremental deduplicating stg_ models keep the latest valid version of each key.
    A key needs a new look when any of its versions was (re)staged by its base model since
    this model's last build: a new version, or one withdrawn, restored or rejected. Both the
    model's selection and its strategy use the same set of keys, read before anything is
    written, so they agree. The model's config names the key (unique_key, one column) and
    the base model whose rows are the versions (versions_model).
-#}
{%- macro keys_restaged_since_last_build() -%}
    {%- set key = config.get('unique_key') -%}
    {%- set versions = config.get('versions_model') -%}
    {%- if key is not string or versions is none -%}
        {{ exceptions.raise_compiler_error(
            "replace_restaged_keys: set config unique_key (one column) and versions_model"
        ) }}
    {%- endif -%}
    select versions.{{ key }}
    from {{ ref(versions) }} as versions
    where versions._staged_at > (
        select coalesce(max(built._staged_at), cast('-infinity' as timestamptz))
        from {{ this }} as built
    )
{%- endmacro -%}


{#-
    Incremental strategy `replace_restaged_keys`: in the model's transaction, delete every
    row whose key keys_restaged_since_last_build() names, then insert the selected rows.
    Unlike delete+insert it also removes a key that has no valid version left (every
    version withdrawn): that key has no new row to replace it.
-#}
{%- macro get_incremental_replace_restaged_keys_sql(arg_dict) -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ config.get('unique_key') }} in ({{ keys_restaged_since_last_build() }});

    {{ get_incremental_append_sql(arg_dict) }}
{%- endmacro -%}
