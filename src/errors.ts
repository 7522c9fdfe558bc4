/**
 * Domain errors carry a code and an HTTP status; the error handler (plugins/errors.ts) renders
 * them as an HTML page or JSON. Anything else is a bug: logged in full, shown as a plain 500.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Page not found') {
    super('not_found', 404, message);
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, code = 'bad_request') {
    super(code, 400, message);
  }
}
