"""The running Tremplin process: CLI, configuration, connectors, web server, scheduler."""
