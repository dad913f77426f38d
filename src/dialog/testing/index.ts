export { loadSuite, BUILTIN_STEPS, type Suite, type SuiteCase, type Persona, type Turn, type Expect } from './suite-file.js';
export { runSuite, pathOf, type CaseReport, type CaseFailure, type SuiteRunOptions } from './suite-run.js';
