import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { include: ['tune/**/*.tune.ts'], testTimeout: 3_600_000, hookTimeout: 600_000 } });
