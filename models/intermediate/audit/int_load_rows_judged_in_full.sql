{#- Every load counted again from all history (a view: read only when asked). -#}
{{ load_rows_judged() }}
