"""Scripts that run under the image's interpreter (slipstream/local/image_env.py), never in the laptop's venv:
Python 3.10 and the image's libraries only, no slipstream imports. They are what touches model files."""
