"""`SAGEMAKER_SERVING_MODULE=sagemaker_sklearn_container.serving:main`: the WSGI app gunicorn runs in the image.

As in the image: the app is built on the first request to any route (/ping included), from the user module
named by SAGEMAKER_PROGRAM, imported as it is when the submit directory is on sys.path (gunicorn
--pythonpath), else installed from SAGEMAKER_SUBMIT_DIRECTORY by the toolkit; model_fn loads <base>/model;
the toolkit's Transformer and Worker answer /ping and /invocations with the toolkit's own error handling.
Only the single-model path: the image's multi-model server (SAGEMAKER_MULTI_MODEL) is not mirrored.
"""

import importlib

import numpy as np
from sagemaker_containers.beta.framework import content_types, encoders, env, modules, server, transformer, worker


class UserError(Exception):
    """What the image raises for a module defining transform_fn next to input/predict/output_fn."""


def default_input_fn(input_data, content_type):
    decoded = encoders.decode(input_data, content_type)
    return decoded.astype(np.float32) if content_type in content_types.UTF8_TYPES else decoded


def default_predict_fn(input_data, model):
    return model.predict(input_data)


def default_output_fn(prediction, accept):
    return worker.Response(encoders.encode(prediction, accept), mimetype=accept)


def _transformer_of(user_module):
    steps = {name: getattr(user_module, name, None) for name in ("input_fn", "predict_fn", "output_fn")}
    transform_fn = getattr(user_module, "transform_fn", None)
    model_fn = getattr(user_module, "model_fn", transformer.default_model_fn)
    if transform_fn is not None and any(steps.values()):
        raise UserError("Cannot use transform_fn implementation with input_fn, predict_fn, and/or output_fn")
    if transform_fn is not None:
        return transformer.Transformer(model_fn=model_fn, transform_fn=transform_fn)
    return transformer.Transformer(
        model_fn=model_fn,
        input_fn=steps["input_fn"] or default_input_fn,
        predict_fn=steps["predict_fn"] or default_predict_fn,
        output_fn=steps["output_fn"] or default_output_fn,
    )


def import_module(module_name, module_dir):
    try:
        user_module = importlib.import_module(module_name)
    except ImportError:  # not on the path: the toolkit downloads, pip-installs and imports it
        user_module = modules.import_module(module_dir, module_name)
    user_transformer = _transformer_of(user_module)
    user_transformer.initialize()
    return user_transformer, getattr(user_module, "execution_parameters_fn", None)


app = None


def main(environ, start_response):
    global app
    if app is None:
        serving_env = env.ServingEnv()
        user_transformer, execution_parameters_fn = import_module(serving_env.module_name, serving_env.module_dir)
        app = worker.Worker(
            transform_fn=user_transformer.transform,
            module_name=serving_env.module_name,
            execution_parameters_fn=execution_parameters_fn,
        )
    return app(environ, start_response)


def serving_entrypoint():
    """The image's `serve` command: nginx + gunicorn through the toolkit (binds 0.0.0.0; not used locally)."""
    server.start(env.ServingEnv().framework_module)
