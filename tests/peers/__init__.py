"""Real local peers for the tests: git remotes, pypiserver, registries, engines, GitHub API."""
