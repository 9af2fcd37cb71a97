-- censorprobe: SQL views over JSONL reports for DuckDB (which reads JSONL directly, streaming).
-- Usage (duckdb CLI, or any DuckDB client):
--   SET VARIABLE censorprobe_reports = 'reports/*.jsonl';   -- a file, a glob, or a list of files
--   .read sql/duckdb-views.sql
--   SELECT * FROM verdict_counts;
-- Only the fields the views need are read (explicit column types: no inference over millions of
-- lines, and the same types whatever the data). docs/analysis-sql.md explains each view and gives
-- the same views for ClickHouse.

-- One row per report line, flattened; `label` is the verdict label of src/runner/labels.ts.
CREATE OR REPLACE MACRO censorprobe_measurements(reports) AS TABLE
SELECT
  input,
  regexp_extract(input, '^[A-Za-z][A-Za-z0-9+.-]*://\[?([^/\]:?#]+)', 1) AS domain,
  category_code,
  run_id,
  software_version,
  TRY_CAST(measurement_start_time AS TIMESTAMPTZ) AS measured_at,
  test_runtime,
  resolver,
  verdict.blocking AS blocking,
  verdict.accessible AS accessible,
  verdict.status AS status,
  CASE
    WHEN verdict.blocking IS NOT NULL THEN verdict.blocking
    WHEN verdict.status = 'down' THEN 'down'
    WHEN verdict.status = 'inconclusive' THEN 'inconclusive'
    WHEN verdict.accessible OR verdict.status = 'ok' THEN 'accessible'
    ELSE 'anomaly'
  END AS label,
  verdict.reasons[1] AS first_reason,
  verdict.fingerprints AS fingerprints,
  control.source AS control_source,
  control.failure AS control_failure,
  control.age_s AS control_age_s,
  vantage.state AS vantage_state,
  ooni.blocking AS ooni_blocking,
  ooni.accessible AS ooni_accessible,
  ooni.dns_consistency AS ooni_dns_consistency,
  ooni_source.probe_asn AS probe_asn,
  ooni_source.probe_cc AS probe_cc
FROM read_json(reports,
  format = 'newline_delimited',
  maximum_object_size = 67108864,
  ignore_errors = true,
  columns = {
    input: 'VARCHAR', category_code: 'VARCHAR', run_id: 'VARCHAR', software_version: 'VARCHAR',
    measurement_start_time: 'VARCHAR', test_runtime: 'DOUBLE', resolver: 'VARCHAR',
    verdict: 'STRUCT(blocking VARCHAR, accessible BOOLEAN, status VARCHAR, reasons VARCHAR[], fingerprints VARCHAR[])',
    control: 'STRUCT(source VARCHAR, failure VARCHAR, age_s DOUBLE)',
    vantage: 'STRUCT(state VARCHAR)',
    ooni: 'STRUCT(blocking VARCHAR, accessible BOOLEAN, dns_consistency VARCHAR)',
    ooni_source: 'STRUCT(probe_asn VARCHAR, probe_cc VARCHAR)'
  })
WHERE input IS NOT NULL;

CREATE OR REPLACE VIEW measurements AS
SELECT * FROM censorprobe_measurements(getvariable('censorprobe_reports'));

-- Measurements per verdict label.
CREATE OR REPLACE VIEW verdict_counts AS
SELECT label, count(*) AS measurements FROM measurements GROUP BY label ORDER BY measurements DESC, label;

-- Per Citizen Lab category: measurements, and how many claim interference.
CREATE OR REPLACE VIEW category_counts AS
SELECT coalesce(category_code, '(none)') AS category, count(*) AS measurements,
       count(*) FILTER (WHERE blocking IS NOT NULL) AS blocked,
       count(*) FILTER (WHERE label = 'accessible') AS accessible
FROM measurements GROUP BY ALL ORDER BY measurements DESC, category;

-- Per domain and label (pivot it in your client as needed).
CREATE OR REPLACE VIEW domain_label_counts AS
SELECT domain, label, count(*) AS measurements FROM measurements GROUP BY ALL ORDER BY domain, label;

-- Targets whose label differs between runs (by run start): one row per change.
CREATE OR REPLACE VIEW label_changes AS
SELECT input, run_id, measured_at, label, previous_label FROM (
  SELECT input, run_id, measured_at, label,
         lag(label) OVER (PARTITION BY input ORDER BY measured_at) AS previous_label
  FROM measurements)
WHERE previous_label IS NOT NULL AND previous_label <> label;

-- Where our verdict and OONI's keys on the same observations disagree about blocking.
CREATE OR REPLACE VIEW ooni_disagreements AS
SELECT input, label, ooni_blocking, ooni_dns_consistency, first_reason FROM measurements
WHERE coalesce(blocking, 'false') <> coalesce(ooni_blocking, 'false');
