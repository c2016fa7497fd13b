import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// Mutation testing runs the unit project alone: the integration project's
// global setup starts Kafka labs, which no mutant should wait for.
const unit = base.test.projects.find((p) => p.test?.name === 'unit');
if (!unit) throw new Error('vitest.config.ts has no project named "unit"');

export default defineConfig({ test: { projects: [unit] } });
