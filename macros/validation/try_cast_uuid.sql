{#-
    A canonical (8-4-4-4-12 hex) uuid text as uuid, or null when it is not one.
    `expression` should be a column (it is evaluated more than once).
-#}
{%- macro try_cast_uuid(expression) -%}
    {#- The LIKE fixes the length and the four dashes' places; the regex then allows no other
        dash and only hex digits around them. Together they say what
        ^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-...{12}$ says, at a third of its cost: PostgreSQL's
        regex engine pays for every counted repetition on every call. -#}
    case
        when {{ expression }} like '________-____-____-____-____________'
            and {{ expression }} ~ '^[0-9A-Fa-f]+-[0-9A-Fa-f]+-[0-9A-Fa-f]+-[0-9A-Fa-f]+-[0-9A-Fa-f]+$'
            then cast({{ expression }} as uuid)
    end
{%- endmacro -%}
