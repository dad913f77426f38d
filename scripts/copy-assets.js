// Copies the non-TypeScript files the compiled engine reads at run time into dist/: the SQL
// migrations, and the pocketsphinx worker (Python, on Debian's python3-pocketsphinx).
import { cpSync } from 'node:fs';
cpSync('src/registry/migrations', 'dist/src/registry/migrations', { recursive: true });
cpSync('src/speech/server/pocketsphinx', 'dist/src/speech/server/pocketsphinx', { recursive: true, filter: (f) => !f.endsWith('.ts') });
