from harness.cli import harness

harness(prog_name="harness")
