import { TechmailError } from '../commons/errors.js';

/** A mailbox run could not do its work; the run record carries `code`. */
export class RunError extends TechmailError {
  /**
   * @param code short machine-readable reason stored on the run
   * @param message what failed and what to do next
   * @param options the wrapped `cause`
   */
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RunError';
  }
}
