{#-
    The schema a published relation is built in: var('published_schema') plus
    var('publish_suffix'). `routing-analytics run` builds with publish_suffix '_next' and
    swaps the schema in once every gate has passed, so customers never see a half-built or
    failed set of marts; a plain build has no suffix.
-#}
{%- macro published_schema_name() -%}
    {{- return(var('published_schema') ~ var('publish_suffix', '')) -}}
{%- endmacro -%}
