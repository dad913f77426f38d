export { noOperators } from './operator-desk.js';
