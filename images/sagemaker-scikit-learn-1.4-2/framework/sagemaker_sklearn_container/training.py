"""`SAGEMAKER_TRAINING_MODULE=sagemaker_sklearn_container.training:main`: the trainer imports this and calls
main(), which runs the user's program with the toolkit's own environment, argument encoding and runner."""

from sagemaker_training import entry_point, environment, runner


def main() -> None:
    env = environment.Environment()
    entry_point.run(
        uri=env.module_dir,
        user_entry_point=env.user_entry_point,
        args=env.to_cmd_args(),
        env_vars=env.to_env_vars(),
        runner_type=runner.ProcessRunnerType,
    )
