export { startHttpServer } from './http-server.js';
export type { WebApp } from './api.js';
export { Auth, hashPassword, MIN_PASSWORD, type Principal } from './auth.js';
