"""patrolnet benchmarks: stage timings and peak memory, side by side with peer tools."""
