// Copies the non-TypeScript files the compiled engine reads at run time into dist/: the SQL
// migrations, the pocketsphinx worker (Python, on Debian's python3-pocketsphinx), and the pages'
// HTML and CSS beside their compiled scripts (dist/web).
import { cpSync } from 'node:fs';
cpSync('src/registry/migrations', 'dist/src/registry/migrations', { recursive: true });
cpSync('src/speech/server/pocketsphinx', 'dist/src/speech/server/pocketsphinx', { recursive: true, filter: (f) => !f.endsWith('.ts') });
cpSync('src/web/client', 'dist/web', { recursive: true, filter: (f) => !/\.(ts|json)$/.test(f) });
