export { YamlFile } from './yaml-file.js';
export { Config, Trunk, loadConfig } from './config.js';
export { CampaignFile, loadCampaignFile } from './campaign-file.js';
