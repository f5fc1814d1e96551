-- Drift inputs: per model version and feature, rows, missing values, distinct values, and for numeric features mean, standard deviation, minimum, approximate median and maximum.
$feature_summaries
ORDER BY model_version, position
