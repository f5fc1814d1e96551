-- Traffic per model version and variant: rows and requests answered, first and last seen.
SELECT
  model_version,
  variant,
  COUNT(*) AS row_count,
  COUNT(DISTINCT request_id) AS request_count,
  MIN("timestamp") AS first_seen,
  MAX("timestamp") AS last_seen
FROM captures
GROUP BY model_version, variant
ORDER BY model_version, variant
