export { runCampaign, newDialerId, type RunOptions } from './campaign-runner.js';
export { placeCall, type CallDeps } from './place-call.js';
export {
  nextStep, PROMISED_CALL, defaultRules, DEFAULT_RETRY_DELAYS, DEFAULT_CALLING_HOURS, ANY_HOUR, campaignRules, leaseRules, verdict,
  capsNotBefore, CAPS_LOOKBACK_MS, DEFAULT_CAPS, type PastCall, type PersonCaps,
  type Because, type ContactFacts, type Rule, type Verdict,
} from './rules/index.js';
export { createDialerMetrics, type DialerMetrics } from './metrics.js';
export { simulateCampaign, type SimulationPlan, type SimulationResult, type SimulatedAttempt } from './simulate.js';
