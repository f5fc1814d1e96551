-- Model call latency per variant and model version, in milliseconds: approximate percentiles over requests (a request's rows share its latency).
SELECT
  variant,
  model_version,
  COUNT(*) AS request_count,
  APPROX_QUANTILE(latency_ms, 0.5) AS p50_ms,
  APPROX_QUANTILE(latency_ms, 0.9) AS p90_ms,
  APPROX_QUANTILE(latency_ms, 0.99) AS p99_ms,
  MAX(latency_ms) AS max_ms
FROM captures
WHERE "row" = 0
GROUP BY variant, model_version
ORDER BY variant, model_version
