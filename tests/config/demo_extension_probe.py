"""A stand-in demo extension used by test_seed_demo (records that seed_demo called it)."""

calls: list[object] = []


def seed(stdout) -> None:
    calls.append(stdout)
    stdout.write("probe extension ran")
