export { Script, Step, scriptJsonSchema } from './script-schema.js';
export { loadScript, usesVisit } from './load-script.js';
export { scriptMermaid, scriptSvg } from './diagram.js';
export { compileScript, type DialogMachine, type DialogOutput } from './compile.js';
export { DialogRun } from './runtime.js';
export type { CallAudio, SlotDesk, OperatorDesk, HandoffAsk, DialogDeps, DialogCall, DialogResult } from './ports.js';
export {
  intentMatcher, intentLanguage, intentProblems, BUILTIN_INTENTS, type BuiltinIntent, type IntentDefinition, type IntentLanguage, type IntentMatcher, type IntentResult,
} from './intents/index.js';
export { render, TEMPLATE_VARS } from './template.js';
export { fixedPrompts } from './prompt.js';
export { slotPhrase, slotWords } from './slot-words.js';
export { parseCallbackTime, DAY_PARTS, type CallbackTime } from './callback-time.js';
export { stepHearing, stepIntents } from './step-intents.js';
export { LiveScript, loadVersion, type DialogVersion, type ScriptChange } from './live-script.js';
export { loadSuite, runSuite, type Suite, type CaseReport, type CaseFailure, type SuiteRunOptions } from './testing/index.js';
export type { VoiceActivity } from './barge-in.js';
