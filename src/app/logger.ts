import pino from 'pino';
import type { Logger } from '../core/index.js';

/**
 * Structured logs to stderr. Call sites mask phones and keep patient data out of info; redact
 * is the second line of defence for fields that must never be written at all.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { svc: 'zvonar' },
      redact: {
        paths: ['patient', '*.patient', 'firstName', 'lastName', 'middleName', 'birthYear', 'transcript', '*.transcript'],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  ) as unknown as Logger;
}
