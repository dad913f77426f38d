export { Script, Step, scriptJsonSchema } from './script-schema.js';
export { loadScript } from './load-script.js';
export { compileScript, type DialogOutput } from './compile.js';
export { DialogRun, type CallAudio, type SlotDesk, type OperatorDesk, type DialogDeps, type DialogCall, type DialogResult } from './runtime.js';
export { matchIntent, normalize, intentMatcher, intentLanguage, intentProblems, BUILTIN_INTENTS, type BuiltinIntent, type IntentDefinition, type IntentLanguage, type IntentMatcher, type IntentResult } from './intents/index.js';
export { render, speakSlot, TEMPLATE_VARS } from './template.js';
