-- Drift inputs for categorical features: rows per model version, feature and value (a missing value counts as NULL).
$category_counts
ORDER BY model_version, position, row_count DESC, value
