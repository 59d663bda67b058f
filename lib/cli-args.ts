import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * A command's options by node:util's parseArgs (strict: unknown options and missing values are
 * errors), or, when they are wrong, one line naming the option and the usage, exit 2 — never a
 * stack trace, and never 1, which the commands keep for "refused"/"failed".
 */
export function parseCommandArgs<T extends ParseArgsConfig>(command: string, usage: string, config: T) {
  try {
    return parseArgs({ ...config, strict: true });
  } catch (err) {
    // node:util's message names the option ("Unknown option '--bogus'"); its hint about "--" does not apply here.
    return usageError(command, usage, (err as Error).message.split('. ')[0] ?? '');
  }
}

export function usageError(command: string, usage: string, message: string): never {
  console.error(`[${command}] ${message}\n${usage}`);
  process.exit(2);
}
