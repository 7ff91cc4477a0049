/** Errors with a stable code (PROF_ERR_*) so the CLI and the API can say one clear line. */
export class ProfilerError extends Error {
  constructor(
    readonly code: `PROF_ERR_${string}`,
    message: string,
    readonly status = 400,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProfilerError';
  }
}

export const invalid = (message: string): ProfilerError => new ProfilerError('PROF_ERR_INVALID', message, 400);
export const notFound = (message: string): ProfilerError => new ProfilerError('PROF_ERR_NOT_FOUND', message, 404);
export const conflict = (message: string): ProfilerError => new ProfilerError('PROF_ERR_CONFLICT', message, 409);
