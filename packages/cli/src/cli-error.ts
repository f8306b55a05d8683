/** Exit codes: 2 for input the user must fix (arguments, config), 1 for a run that failed. */
export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

/** An error the CLI prints as one line, `factory: <message>`, before exiting with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
