-- Prediction distribution per model version (prediction drift's input): $predictions_description
$predictions
