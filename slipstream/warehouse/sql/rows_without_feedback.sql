-- Captured rows that have no ground truth yet, newest first: what still needs labelling.
SELECT
  c.request_id,
  c."row",
  c."timestamp",
  c.variant,
  c.model_version,
  c.prediction
FROM captures AS c
LEFT JOIN feedback AS f
  ON f.request_id = c.request_id AND f."row" = c."row"
WHERE f.request_id IS NULL
ORDER BY c."timestamp" DESC, c.request_id, c."row"
