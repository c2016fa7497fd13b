#!/usr/bin/env node
import('../lib/cli.js').then((m) => m.main(process.argv)).catch((e) => {
  process.stderr.write(`failover: cannot start (${e && e.message ? e.message : e}); run \`npm run build\` first\n`);
  process.exit(2);
});
