/**
 * Every error swarmlab raises on purpose is a SwarmlabError: it carries a short
 * machine-readable code and the context a user needs to act on it, so the CLI
 * can print it without a stack trace and tests can match on the code.
 */
export class SwarmlabError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SwarmlabError';
  }
}

/** Bad input: names the source (file or flag), the field and what was expected. */
export class ConfigError extends SwarmlabError {
  constructor(
    readonly source: string,
    readonly field: string,
    readonly expected: string,
    readonly seen?: unknown,
  ) {
    const seenText = seen === undefined ? '' : `, got ${JSON.stringify(seen)}`;
    super('config', `${source}: ${field}: expected ${expected}${seenText}`, { source, field, expected, seen });
    this.name = 'ConfigError';
  }
}

/** A wait that ran past its deadline: says what it waited for and what it saw last. */
export class WaitTimeoutError extends SwarmlabError {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastSeen: string,
  ) {
    super('timeout', `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; last seen: ${lastSeen}`, {
      what,
      timeoutMs,
      lastSeen,
    });
    this.name = 'WaitTimeoutError';
  }
}

/** An external command (on the host or inside a container) that failed. */
export class CommandError extends SwarmlabError {
  constructor(
    readonly where: string,
    readonly command: readonly string[],
    readonly exitCode: number | undefined,
    readonly output: string,
  ) {
    super(
      'command',
      `${where}: \`${command.map(shortArg).join(' ')}\` exited ${exitCode ?? 'abnormally'}: ${lastLines(output, 8)}`,
      {
        where,
        command,
        exitCode,
      },
    );
    this.name = 'CommandError';
  }
}

/**
 * A failure that is not swarmlab's own (a socket error from a library, say),
 * named by the step it broke, so a bare "connect ECONNREFUSED" never reaches
 * the user alone.
 */
export class StepError extends SwarmlabError {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super('step', `${step}: ${errorMessage(cause)}`, { step }, { cause });
    this.name = 'StepError';
  }
}

export function inStep(step: string, error: unknown): unknown {
  return error instanceof SwarmlabError ? error : new StepError(step, error);
}

/** A script passed as one argument (sh -c) would bury the error under its text: name it by its first line. */
function shortArg(arg: string): string {
  if (!arg.includes('\n')) return arg;
  const lines = arg.trim().split('\n');
  return `'${lines[0]?.trim() ?? ''} ...' (a ${lines.length}-line script)`;
}

export function lastLines(text: string, count: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-count).join('\n');
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
