from takehome_harness.harness.cli import harness

harness(prog_name="harness")
