// The package is "type": "module"; the CommonJS build needs its own marker so Node reads it as CJS.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(join(root, 'dist/cjs/package.json'), '{"type":"commonjs"}\n');
