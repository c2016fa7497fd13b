import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The package root (where package.json lives), from either src/ or dist/. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export const toolVersion: string = (() => {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
