/**
 * TEST ONLY. `FAILOVER_TEST_CRASH_AT=<point>` makes the process SIGKILL
 * itself at a named point inside a step's apply (`fence-writes:after-create`,
 * `translate-offsets:between-groups`, ...), where nothing has been recorded
 * yet about what the apply did. The integration tests use it to prove that
 * `--resume` converges from inside an apply, not only between steps. No
 * operator has a reason to set it.
 */
export function crashPoint(point: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.FAILOVER_TEST_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}
