// Logging with kaniko's verbosity levels and formats. Every line passes through redact().
import { redact } from './redact.ts';

export const LEVELS = ['panic', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type Level = (typeof LEVELS)[number];
export type LogFormat = 'text' | 'color' | 'json';

export interface LoggerOptions {
  level: Level;
  format: LogFormat;
  timestamp: boolean;
  stream: NodeJS.WritableStream;
}

const COLORS: Record<Level, string> = {
  panic: '\x1b[35m',
  fatal: '\x1b[35m',
  error: '\x1b[31m',
  warn: '\x1b[33m',
  info: '\x1b[36m',
  debug: '\x1b[90m',
  trace: '\x1b[90m',
};

export class Logger {
  private opts: LoggerOptions;

  constructor(opts: Partial<LoggerOptions> = {}) {
    this.opts = { level: 'info', format: 'text', timestamp: false, stream: process.stderr, ...opts };
  }

  configure(opts: Partial<LoggerOptions>): void {
    this.opts = { ...this.opts, ...opts };
  }

  enabled(level: Level): boolean {
    return LEVELS.indexOf(level) <= LEVELS.indexOf(this.opts.level);
  }

  get isTerminal(): boolean {
    return Boolean((this.opts.stream as NodeJS.WriteStream).isTTY) && this.opts.format !== 'json';
  }

  log(level: Level, message: string, fields?: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    const msg = redact(message);
    const time = new Date().toISOString();
    let line: string;
    if (this.opts.format === 'json') {
      line = redact(JSON.stringify({ level, msg, ...(this.opts.timestamp ? { time } : {}), ...fields }));
    } else {
      const extra = fields ? ' ' + redact(Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`).join(' ')) : '';
      const prefix = this.opts.timestamp ? `${time} ` : '';
      const lvl = level === 'info' ? '' : `${level.toUpperCase()} `;
      // kaniko's default format is "color"; escape codes only make sense on a terminal.
      const colored = this.opts.format === 'color' && lvl && this.isTerminal ? `${COLORS[level]}${lvl}\x1b[0m` : lvl;
      line = `${prefix}${colored}${msg}${extra}`;
    }
    this.opts.stream.write(line + '\n');
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.log('error', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.log('warn', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.log('info', message, fields);
  }
  debug(message: string, fields?: Record<string, unknown>): void {
    this.log('debug', message, fields);
  }
  trace(message: string, fields?: Record<string, unknown>): void {
    this.log('trace', message, fields);
  }
}

/** The process logger; faces configure it from flags. Library code logs through it. */
export const log = new Logger();
