{#-
    The incremental deduplicating stg_ models keep the latest valid version of each key.
    A key needs a new look when any of its versions was (re)staged by its base model since
    this model's last build: a new version, or one withdrawn, restored or rejected. Both the
    model's selection and its strategy use the same set of keys, read before anything is
    written, so they agree. The model's config names the key (unique_key, a list of columns
    that starts with tenant_id: a record id is unique within its tenant only) and the base
    model whose rows are the versions (versions_model).
-#}
{%- macro keys_restaged_since_last_build() -%}
    {%- set versions = config.get('versions_model') -%}
    select {% for column in restaged_key_columns() -%}
        versions.{{ column }}{{ ', ' if not loop.last }}
    {%- endfor %}
    from {{ ref(versions) }} as versions
    where versions._staged_at > {{ stamp_literal(
        "(select coalesce(max(built._staged_at), cast('-infinity' as timestamptz))"
        ~ ' from ' ~ this ~ ' as built)'
    ) }}
{%- endmacro -%}


{#- The key of the model as a row value, e.g. (tenant_id, task_execution_id). -#}
{%- macro restaged_key() -%}
    ({{ restaged_key_columns() | join(', ') }})
{%- endmacro -%}


{%- macro restaged_key_columns() -%}
    {%- set key = config.get('unique_key') -%}
    {%- if key is string or key is none or key[0] != 'tenant_id'
        or config.get('versions_model') is none -%}
        {{ exceptions.raise_compiler_error(
            "replace_restaged_keys: set config versions_model and unique_key"
            ~ " (a list of columns, tenant_id first)"
        ) }}
    {%- endif -%}
    {{ return(key) }}
{%- endmacro -%}


{#-
    Incremental strategy `replace_restaged_keys`: in the model's transaction, delete every
    row whose key keys_restaged_since_last_build() names, then insert the selected rows.
    Unlike delete+insert it also removes a key that has no valid version left (every
    version withdrawn): that key has no new row to replace it.
-#}
{%- macro get_incremental_replace_restaged_keys_sql(arg_dict) -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ restaged_key() }} in ({{ keys_restaged_since_last_build() }});

    {{ get_incremental_append_sql(arg_dict) }}
{%- endmacro -%}
