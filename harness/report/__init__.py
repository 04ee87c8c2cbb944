"""The reviewer's report: data model, JSON (schema-checked) and self-contained HTML, batch index."""
