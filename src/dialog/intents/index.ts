export { BUILTIN_INTENTS, type BuiltinIntent, type IntentDefinition, type IntentLanguage, type IntentMatcher, type IntentResult } from './api.js';
export { intentMatcher, intentLanguage, intentProblems } from './matcher.js';
export { matchIntent, normalize } from './legacy.js';
