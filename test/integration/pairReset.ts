import { beforeAll } from 'vitest';
import { resetPairState, sharedLabs } from './labHarness.js';

/**
 * Every integration test file starts from pairs with no failover state.
 * Both labs' pairs are shared by every runbook a test writes (the state is
 * keyed by the clusters, as in production), so a file that left a pair
 * promoted would otherwise change what the next file's gates and actions
 * see. A lab cluster that is down is left to the file that needs it, and
 * a lab this run did not start (FAILOVER_TEST_LABS) is not asked.
 */
beforeAll(async () => {
  for (const lab of sharedLabs()) {
    await resetPairState(lab).catch((e: unknown) => process.stderr.write(`[integration] could not reset the pair state of ${lab.dir}: ${(e as Error).message}\n`));
  }
}, 120_000);
