export { Config, SipTrunk, Trunk, loadConfig } from './config.js';
export { CampaignFile, loadCampaignFile } from './campaign-file.js';
