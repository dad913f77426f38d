import type { Logger } from '../../src/core/index.js';

export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  msg: string;
  fields: Record<string, unknown>;
}

/** A Logger that keeps every line, with child bindings merged in, for tests to read. */
export function collectingLogger(lines: LogLine[] = [], bindings: object = {}): Logger & { lines: LogLine[] } {
  const at = (level: LogLine['level']) => (obj: object, msg: string) => lines.push({ level, msg, fields: { ...bindings, ...obj } });
  return {
    lines,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (b: object) => collectingLogger(lines, { ...bindings, ...b }),
  };
}
