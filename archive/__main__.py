from archive.cli import run

run()
