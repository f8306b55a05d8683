export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /**
   * For a logger that scrubs known secret values from its lines: values learnt after it was made (a
   * tenant added through the admin API brings its own tokens). A logger that scrubs nothing has none.
   */
  addSecrets?(values: Iterable<string>): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
