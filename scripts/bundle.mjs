#!/usr/bin/env node
// Bundles the compiled CLI (dist/) into lib/, the code bin/failover.js runs.
//
// Why: start-up. Every command paid for resolving, reading and compiling
// ~150 small files of ours and of zod, yaml and commander before doing
// anything; `failover validate` spent more time loading than validating.
// One minified file per lazily loaded command group (code splitting keeps
// `validate` from loading the Kafka code) roughly halves that; see
// bench/validate.mjs.
//
// The Kafka client (@platformatic/kafka, ~330 files of ES modules) is
// bundled too. One of its dependencies, @platformatic/wasm-utils (snappy
// and lz4), reads its .wasm file relative to its own module; bundled, that
// path would point into lib/, so it is aliased to the package's own
// `bundled` entry, which carries the same WebAssembly inline.
// execa, @clack/prompts and cli-table3 stay external: only commands that
// then run a process or talk to a terminal load them.
// lib/ sits beside dist/, so paths computed from import.meta.url (the
// package root, the probe worker) are the same in both.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'lib');
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'dist/cli.js', probeWorker: 'dist/drill/probeWorker.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  external: ['execa', '@clack/prompts', 'cli-table3'],
  alias: { '@platformatic/wasm-utils': '@platformatic/wasm-utils/bundled' },
  // Bundled CommonJS (commander, yaml) may call require() for Node built-ins.
  banner: { js: "import { createRequire as __failoverRequire } from 'node:module'; const require = __failoverRequire(import.meta.url);" },
  logLevel: 'warning',
});
