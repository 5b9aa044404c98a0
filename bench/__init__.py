"""xorbench benchmarks, command line and speed reports."""
