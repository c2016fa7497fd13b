/**
 * TEST ONLY. `FAILOVER_TEST_CRASH_AFTER_APPLY=<k>` makes the process
 * SIGKILL itself right after step k's step-applied entry is on disk (k is
 * the step's 0-based index, as in the transcript). The integration tests use
 * it to prove that `--resume` after a crash at every step boundary ends
 * where an uninterrupted run ends. No operator has a reason to set it.
 */
export function crashAfterApplyHook(index: number, env: NodeJS.ProcessEnv): void {
  const k = env.FAILOVER_TEST_CRASH_AFTER_APPLY;
  if (k === undefined || k === '' || Number(k) !== index) return;
  process.kill(process.pid, 'SIGKILL');
}
