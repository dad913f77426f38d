export * from './errors.js';
export * from './disposition.js';
export * from './clock.js';
export * from './phone.js';
export * from './log.js';
export type * from './types.js';
export * from './spelling.js';
export * from './time-zone.js';
export * from './text-file.js';
