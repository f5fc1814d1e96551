-- Live quality per variant from feedback (the A/B comparison `slipstream monitor` prints): rows answered, rows with ground truth, and the metric over those.
WITH $latest_feedback
SELECT
  c.variant,
  COUNT(DISTINCT c.model_version) AS versions,
  COUNT(*) AS predicted,
  COUNT(f.ground_truth) AS labelled,
  $quality_metrics
FROM captures AS c
LEFT JOIN latest_feedback AS f
  ON f.request_id = c.request_id AND f."row" = c."row"
GROUP BY c.variant
ORDER BY c.variant
