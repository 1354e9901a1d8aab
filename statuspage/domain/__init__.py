"""Business rules, free of Flask request objects. Views, the APIs and the CLI call these."""
