"""Stands in for the image's own framework package of the same name, which AWS installs from its container
repository (aws/sagemaker-scikit-learn-container, src/sagemaker_sklearn_container) and not from PyPI.

Only the entry points the image names are here (SAGEMAKER_TRAINING_MODULE, SAGEMAKER_SERVING_MODULE), each
doing what the image's does with the same toolkit calls; everything else is the real toolkits from PyPI.
Written for this project, not copied: keep it to those calls.
"""
