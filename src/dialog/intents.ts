// runtime.ts still imports './intents.js', which under NodeNext cannot name a folder; it goes
// when runtime.ts moves to intentMatcher() from './intents/index.js'.
export { matchIntent, normalize } from './intents/index.js';
