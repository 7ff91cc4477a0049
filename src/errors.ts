/**
 * The closed catalogue of error codes: each code is stable (scripts, the API's `{"error": {code, message}}` and the
 * CLI's `[PROF_ERR_…]` suffix carry it), with what it means and the HTTP status it goes with.
 */
export const ERROR_CODES = {
  PROF_ERR_INVALID: 'a value breaks a rule: an option, a config setting, an imported file, a request body (400)',
  PROF_ERR_USAGE: 'the command line does not parse: unknown command or option, a missing value or argument (400)',
  PROF_ERR_EPOCH_PATTERN: '--epoch-pattern is empty, not a JavaScript regex, uses flag g or y, or lacks (?<epoch>…) (400)',
  PROF_ERR_SPAWN: 'the command given to `profiler run` could not be started: not found (exit 127), not executable (126) (400)',
  PROF_ERR_BAD_REQUEST: 'an HTTP request the API could not read: malformed JSON, wrong content type (4xx)',
  PROF_ERR_UNAUTHORIZED: 'missing or wrong bearer token (401)',
  PROF_ERR_NOT_FOUND: 'no such run or route (404)',
  PROF_ERR_CONFLICT: 'the request clashes with the current state: a run id taken, a run already ended, a file exists (409)',
  PROF_ERR_DAEMON_RUNNING: 'a daemon already runs for this PROFILER_HOME (409)',
  PROF_ERR_DAEMON_UNREACHABLE: 'the daemon did not answer: connection refused or reset, or no answer in time (503)',
  PROF_ERR_DAEMON_START: 'the daemon could not be started: it exited, or did not answer in time (503)',
  PROF_ERR_DAEMON_STOP: 'the daemon could not be signalled, or did not stop in time (500)',
  PROF_ERR_LOCK: 'the daemon lock file could not be taken (500)',
  PROF_ERR_HTTP: 'the daemon answered an error without a known code, or an answer that is not JSON (status as sent)',
  PROF_ERR_HOST_MEMORY: 'system memory could not be read, or the reading is not plausible (500)',
  PROF_ERR_IO: 'a file or folder could not be read or written: permissions, a missing folder, a full disk (500)',
  PROF_ERR_INTERNAL: 'a bug or a broken installation; see the daemon log (500)',
  PROF_ERR_PROMETHEUS: '`profiler job --prometheus`: the server did not answer, answered an error, or not the query API (503)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const isErrorCode = (s: unknown): s is ErrorCode => typeof s === 'string' && Object.hasOwn(ERROR_CODES, s);

interface Cause {
  cause?: unknown;
}

/** Errors with a stable code (PROF_ERR_*) so the CLI and the API can say one clear line. */
export class ProfilerError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status = 400,
    options?: Cause,
  ) {
    super(message, options);
    this.name = 'ProfilerError';
  }
}

export const invalid = (message: string, options?: Cause): ProfilerError => new ProfilerError('PROF_ERR_INVALID', message, 400, options);
export const notFound = (message: string, options?: Cause): ProfilerError => new ProfilerError('PROF_ERR_NOT_FOUND', message, 404, options);
export const conflict = (message: string, options?: Cause): ProfilerError => new ProfilerError('PROF_ERR_CONFLICT', message, 409, options);
export const usage = (message: string, options?: Cause): ProfilerError => new ProfilerError('PROF_ERR_USAGE', message, 400, options);
export const badEpochPattern = (message: string, options?: Cause): ProfilerError =>
  new ProfilerError('PROF_ERR_EPOCH_PATTERN', message, 400, options);
export const daemonUnreachable = (message: string, options?: Cause): ProfilerError =>
  new ProfilerError('PROF_ERR_DAEMON_UNREACHABLE', message, 503, options);
export const daemonStart = (message: string, options?: Cause): ProfilerError =>
  new ProfilerError('PROF_ERR_DAEMON_START', message, 503, options);
export const daemonStop = (message: string, options?: Cause): ProfilerError =>
  new ProfilerError('PROF_ERR_DAEMON_STOP', message, 500, options);
export const ioError = (message: string, options?: Cause): ProfilerError => new ProfilerError('PROF_ERR_IO', message, 500, options);
export const internal = (message: string, options?: Cause): ProfilerError =>
  new ProfilerError('PROF_ERR_INTERNAL', message, 500, options);

/** True for a ProfilerError with that code: the one way to branch on what went wrong (never on the message). */
export const hasCode = (err: unknown, code: ErrorCode): err is ProfilerError => err instanceof ProfilerError && err.code === code;

/**
 * Any thrown value as a ProfilerError (the original kept as its cause): Node's argument-parser errors are usage,
 * errno errors (ENOENT, EACCES…) I/O, anything else internal.
 */
export function asProfilerError(err: unknown): ProfilerError {
  if (err instanceof ProfilerError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) return usage(message, { cause: err });
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return ioError(message, { cause: err });
  return internal(message, { cause: err });
}
