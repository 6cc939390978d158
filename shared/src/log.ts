import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

export interface LogOptions {
  name: string;
  level?: LoggerOptions['level'];
  /** Pretty output for humans; defaults to "stdout is a terminal". */
  pretty?: boolean;
}

/** pino with secrets redacted; pretty only on a TTY so files and pipes stay JSON. */
export function createLogger({
  name,
  level = 'info',
  pretty = process.stdout.isTTY === true,
}: LogOptions): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.password',
        'password',
      ],
      censor: '[redacted]',
    },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'HH:MM:ss.l' },
          },
        }
      : {}),
  });
}

/** For shared code: callers that pass no logger get silence. */
export const silentLogger: Logger = pino({ level: 'silent' });
