"""The project's commands, each group in its own module, added to the app's CLI (the ``statuspage`` command itself
is ``statuspage.__main__``)."""


def init_app(app) -> None:
    from . import export, incidents, retention, setup, subscribers, users, worker

    for module in (setup, users, incidents, worker, subscribers, retention, export):
        for command in module.COMMANDS:
            app.cli.add_command(command)
