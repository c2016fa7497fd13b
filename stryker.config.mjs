// @ts-check
/**
 * Mutation testing (`npm run mutation`) of the pure logic with the unit
 * tests: offset translation, replication lag, drill measurement, stop
 * criteria and scoring. Files that also reach Kafka are mutated whole; their
 * Kafka-facing parts count as "no coverage" here, since only the integration
 * tests, against a lab, reach them. Not part of `npm test`.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  // The unit project alone: the integration project's global setup starts Kafka labs.
  vitest: { configFile: 'stryker.vitest.config.mjs' },
  coverageAnalysis: 'perTest',
  mutate: [
    // translation
    'src/kafka/translateOffsets.ts',
    'src/kafka/mm2Translation.ts',
    'src/kafka/naming.ts',
    // lag
    'src/kafka/replicationLag.ts',
    // reads that wait out a moving leader
    'src/kafka/leaderRetry.ts',
    // degraded partitions, and what check makes of them
    'src/kafka/partitionHealth.ts',
    'src/gates/partitionHealth.ts',
    // drill measurement
    'src/drill/measure.ts',
    'src/drill/expectations.ts',
    'src/drill/probeLog.ts',
    'src/drill/timeline.ts',
    'src/drill/sendQueue.ts',
    // stop criteria
    'src/engine/stopCriteria.ts',
    // the pair's rules: which phase copy stands, what an action may do, where writes go, no silent rewind
    'src/engine/lineage.ts',
    'src/engine/phase.ts',
    'src/steps/commitPlan.ts',
    // scoring
    'src/gates/score.ts',
    'src/gates/scorecard.ts',
  ],
  // Static mutants (module-level constants) each reload every test of their
  // file; on a 2-core machine they took over 90% of the run for under a
  // third of the mutants.
  ignoreStatic: true,
  // Two test-runner processes: the machine has two cores, shared.
  concurrency: 2,
  // Reuses the last run's results for mutants whose code and tests did not
  // change; `npm run mutation -- --force` runs everything.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  thresholds: { high: 90, low: 80, break: 80 },
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  clearTextReporter: { allowEmojis: false, logTests: false, reportScoreTable: true, reportMutants: true },
  // A loaded shared machine makes honest test runs slow; only a mutant
  // stuck in a loop should time out.
  timeoutMS: 10_000,
  // Big, and never read by a unit test: lab data, transcripts, tsc output.
  ignorePatterns: ['/.lab*', '/transcripts', '/coverage', '/dist'],
};
