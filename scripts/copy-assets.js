// Copies the non-TypeScript files the compiled engine reads at run time (SQL migrations) into dist/.
import { cpSync } from 'node:fs';
cpSync('src/registry/migrations', 'dist/src/registry/migrations', { recursive: true });
