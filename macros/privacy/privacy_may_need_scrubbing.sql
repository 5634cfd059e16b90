{#-
    A cheap pre-check for scrub_sensitive_entries: false only when no top-level entry of the
    JSON object can break a privacy rule, so the object can be kept as it is. It tests
    necessary conditions only; true means "run the full rules", not "sensitive".

    Keys: the key pattern is split into its alternatives; when they are plain words (as now)
    each is looked for with strpos in the lowercased keys (fast), else the pattern runs on
    the keys as a case-insensitive regex. Values: each alternative of the secret, e-mail and
    path patterns needs one of a few literal strings, or a run of 32 token characters, in the
    object's JSON text (JSON escaping only adds backslashes, which count as "may need"; an
    escaped newline is a backslash too). Those literals were read off the current patterns,
    so they are only used while the patterns have exactly the md5 below; after a change of
    the patterns every object goes through the full rules (correct, slower) until the
    literals are checked again and the md5 updated.
-#}
{%- macro privacy_may_need_scrubbing(json_object) -%}
    {%- set key_pattern = var('privacy_sensitive_key_pattern') -%}
    {%- set word_characters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_' -%}
    {%- set key_check = namespace(is_word_list=true) -%}
    {%- for character in key_pattern -%}
        {%- if character not in word_characters ~ '|' -%}
            {%- set key_check.is_word_list = false -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set value_patterns = var('privacy_secret_pattern') ~ '\n' ~ var('privacy_email_pattern')
        ~ '\n' ~ var('privacy_path_pattern') -%}
    {%- set value_literals = [
        'k-', 'gh', '_pat_', 'AKIA', 'AIza', 'xox', 'eyJ', '-----BEGIN', 'earer', 'api',
        'secret', 'passw', 'token', '@', '/', '\\',
    ] -%}
    (
        select
            {%- if key_check.is_word_list %}
            {%- for word in key_pattern.split('|') if word %}
            strpos(object_texts.keys_text, {{ dbt.string_literal(word | lower) }}) > 0 or
            {%- endfor %}
            {%- else %}
            object_texts.keys_text ~* {{ sql_pattern_literal(key_pattern) }} or
            {%- endif %}
            {%- if local_md5(value_patterns) == '85f502ee3c668a32c70824111ee7b0da' %}
            {%- for literal in value_literals %}
            strpos(object_texts.json_text, {{ dbt.string_literal(literal) }}) > 0 or
            {%- endfor %}
            object_texts.json_text ~ '[A-Za-z0-9+/_=]{32}' or
            length(object_texts.json_text) > {{ var('privacy_max_inspected_chars') }}
            {%- else %}
            true
            {%- endif %}
        from (
            select
                lower(array_to_string(array(select jsonb_object_keys(checked.json_object)), '|'))
                as keys_text,
                cast(checked.json_object as text) as json_text
            from (select {{ json_object }} as json_object) as checked
            {{ optimization_fence() }}
        ) as object_texts
    )
{%- endmacro -%}
