#!/usr/bin/env node
// Regenerates schema/runbook.schema.json from the built CLI, so the committed
// file is exactly what `failover schema` prints. Run `npm run build` first.
// A unit test fails while the committed file is stale.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const text = execFileSync(process.execPath, [join(root, 'bin/failover.js'), 'schema'], { encoding: 'utf8' });
JSON.parse(text); // refuse to write anything that is not JSON
writeFileSync(join(root, 'schema/runbook.schema.json'), text);
process.stdout.write(`wrote schema/runbook.schema.json (${text.length} bytes)\n`);
