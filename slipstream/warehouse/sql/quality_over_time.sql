-- Live quality per day, variant and model version from feedback: rows answered, rows with ground truth, and the metric over those.
WITH $latest_feedback
SELECT
  SUBSTR(c.dt, 1, 10) AS day,
  c.variant,
  c.model_version,
  COUNT(*) AS predicted,
  COUNT(f.ground_truth) AS labelled,
  $quality_metrics
FROM captures AS c
LEFT JOIN latest_feedback AS f
  ON f.request_id = c.request_id AND f."row" = c."row"
GROUP BY SUBSTR(c.dt, 1, 10), c.variant, c.model_version
ORDER BY day, c.variant, c.model_version
