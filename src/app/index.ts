export { buildEngine, type Engine, type BuildOptions } from './build-engine.js';
export { readCampaign, createCampaignFrom, schedule, type CampaignSource, type LoadedCampaign } from './campaign-setup.js';
export { runDemo, type DemoReport } from './demo.js';
export { runEngine, runLoad, runMigrate } from './run.js';
export { createLogger } from './logger.js';
export { loadScript as checkScript, scriptJsonSchema } from '../dialog/index.js';
