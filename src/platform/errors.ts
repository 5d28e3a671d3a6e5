/**
 * One error type for the whole application. Every failure a user can cause maps to a code from a closed
 * list; the code decides the HTTP status, the CLI exit code and whether retrying can help.
 */
export const ERROR_CODES = {
  bad_request: { status: 400, exitCode: 1, retryable: false },
  validation_failed: { status: 400, exitCode: 1, retryable: false },
  config_invalid: { status: 422, exitCode: 1, retryable: false },
  invalid_transition: { status: 409, exitCode: 1, retryable: false },
  conflict: { status: 409, exitCode: 1, retryable: false },
  not_found: { status: 404, exitCode: 1, retryable: false },
  unauthorized: { status: 401, exitCode: 1, retryable: false },
  forbidden: { status: 403, exitCode: 1, retryable: false },
  blocked: { status: 409, exitCode: 3, retryable: false },
  integrity_failed: { status: 409, exitCode: 3, retryable: false },
  unavailable: { status: 503, exitCode: 1, retryable: true },
  internal: { status: 500, exitCode: 1, retryable: true },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem inside a larger input, e.g. a field of railyard.yaml at a line and column. */
export interface ErrorDetail {
  message: string;
  path?: string;
  file?: string;
  line?: number;
  column?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];

  constructor(code: ErrorCode, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }
}

export const notFound = (what: string, ref: string): AppError => new AppError('not_found', `${what} '${ref}' not found`);

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Formats a detail the way compilers do: `file:line:column path: message`. */
export function formatDetail(detail: ErrorDetail): string {
  const where = detail.file
    ? `${detail.file}${detail.line ? `:${detail.line}:${detail.column ?? 1}` : ''} `
    : detail.line
      ? `line ${detail.line}:${detail.column ?? 1} `
      : '';
  const path = detail.path ? `${detail.path}: ` : '';
  return `${where}${path}${detail.message}`;
}
