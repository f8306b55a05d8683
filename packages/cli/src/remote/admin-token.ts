import { MIN_ADMIN_TOKEN_LENGTH } from '@software-factory/sdk';
import { InvalidArgumentError } from 'commander';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import type { Environment } from '../config/secret-reference.ts';

/** The deployment's operator token: every tenant, and adding or removing one. */
export const OPERATOR_TOKEN_ENV = 'FACTORY_OPERATOR_TOKEN';
/** A tenant's own admin token (what `factory tenants add` printed): that tenant only. */
export const ADMIN_TOKEN_ENV = 'FACTORY_ADMIN_TOKEN';

/** The token an admin call carries, and the variable it came from (named in errors; never the value). */
export interface AdminToken {
  value: string;
  variable: string;
}

/** A `--token-env <NAME>` value: the name of an environment variable. */
export function parseTokenEnv(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(value))
    throw new InvalidArgumentError(
      'expected the name of an environment variable, such as FACTORY_ADMIN_TOKEN.',
    );
  return value;
}

/**
 * The token for a command only the operator may run (list, add, remove): `--token-env`'s variable, else
 * FACTORY_OPERATOR_TOKEN. Tokens are never arguments: every user of the machine can read a process's argv.
 */
export function operatorToken(env: Environment, tokenEnv: string | undefined): AdminToken {
  const variable = tokenEnv ?? OPERATOR_TOKEN_ENV;
  return tokenFrom(env, variable, `set ${variable} to the deployment's operator token`);
}

/**
 * The token for a command about one tenant (check, connect, show): `--token-env`'s variable, else the
 * tenant's own FACTORY_ADMIN_TOKEN when set, else FACTORY_OPERATOR_TOKEN.
 */
export function tenantToken(env: Environment, tokenEnv: string | undefined): AdminToken {
  if (tokenEnv) return tokenFrom(env, tokenEnv, `set ${tokenEnv} to the admin or operator token`);
  const variable = env[ADMIN_TOKEN_ENV] ? ADMIN_TOKEN_ENV : OPERATOR_TOKEN_ENV;
  return tokenFrom(
    env,
    variable,
    `set ${ADMIN_TOKEN_ENV} (the tenant's admin token) or ${OPERATOR_TOKEN_ENV} (the deployment's operator token)`,
  );
}

function tokenFrom(env: Environment, variable: string, whatToDo: string): AdminToken {
  const value = env[variable]?.trim();
  if (!value) throw new CliError(`${whatToDo}; a token is never taken as an argument`, EXIT_USAGE);
  // A header cannot carry a line break or a control character; the server would refuse a short token.
  if (!/^[\x21-\x7e]+$/.test(value))
    throw new CliError(`${variable} holds spaces or characters a token cannot have`, EXIT_USAGE);
  if (value.length < MIN_ADMIN_TOKEN_LENGTH)
    throw new CliError(
      `${variable} is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters; the deployment refuses such a token`,
      EXIT_USAGE,
    );
  return { value, variable };
}
