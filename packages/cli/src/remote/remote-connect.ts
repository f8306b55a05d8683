import { redact } from '@software-factory/auth';
import { errorMessage } from '@software-factory/sdk';
import { CliError, EXIT_FAILURE } from '../cli-error.ts';
import { describeStatus } from '../onboarding/connect-provider.ts';
import { browserOpener } from '../onboarding/open-browser.ts';
import { AdminClient } from './admin-client.ts';
import type { RemoteConnectStart } from './admin-responses.ts';
import { tenantToken } from './admin-token.ts';
import { printable } from './printable.ts';
import { RemoteError } from './remote-error.ts';
import { waitForSignIn } from './wait-for-sign-in.ts';

export interface RemoteConnectOptions {
  remote: URL;
  tenant: string;
  scopes?: string[] | undefined;
  tokenEnv?: string | undefined;
}

/** How often the app is asked while a browser sign-in is under way. */
const POLL_MS = 2_000;
/** The longest the CLI waits, whatever the sign-in's own expiry says. */
const MAX_WAIT_MS = 10 * 60_000;

/**
 * `factory connect <provider> --remote <url> --tenant <id>`: the deployed app starts the sign-in (it
 * holds the PKCE verifier or the device code, and the vendor's redirect comes back to it); this machine
 * only opens the browser or shows the code, then asks the app how it went until it is done. The token
 * never passes through here.
 */
export async function runRemoteConnect(provider: string, options: RemoteConnectOptions): Promise<void> {
  const token = tenantToken(process.env, options.tokenEnv);
  // What the deployment sent is shown without control characters (no terminal escapes) and the token.
  const print = (message: string) => {
    const lines = message.split('\n').map((line) => printable(line, 4096));
    process.stdout.write(`${redact(lines.join('\n'), [token.value])}\n`);
  };
  // Ctrl-C stops waiting cleanly; the app drops the sign-in when it expires.
  const controller = new AbortController();
  const onSignal = () => controller.abort(new CliError('stopped', EXIT_FAILURE));
  process.once('SIGINT', onSignal);
  const client = new AdminClient({ base: options.remote, token, signal: controller.signal });
  const about = `the ${provider} sign-in of tenant ${options.tenant}`;
  try {
    const start = await client.beginConnect(options.tenant, provider, options.scopes);
    const everyMs =
      start.flow === 'device' ? Math.min(Math.max(start.intervalSeconds, 1), 60) * 1000 : POLL_MS;
    // The app says when the sign-in expires, by its clock; the CLI stops when the app says `expired`, so
    // a clock that differs here only changes the estimate shown. It never waits longer than 10 minutes.
    const deadline = Date.now() + MAX_WAIT_MS;
    const minutes = Math.min(
      MAX_WAIT_MS / 60_000,
      Math.max(1, Math.ceil((start.expiresAt - Date.now()) / 60_000)),
    );
    await showStart(start, provider, options.tenant, print);
    print(`Waiting up to ${minutes} min for ${about} to finish on ${client.host}; Ctrl-C stops waiting.`);
    const progress = await waitForSignIn(() => client.connectProgress(options.tenant, provider), {
      everyMs,
      deadline,
      signal: controller.signal,
    });
    switch (progress.state) {
      case 'connected':
        print(describeStatus(provider, progress.status));
        if (progress.status.state !== 'connected') process.exitCode = EXIT_FAILURE;
        return;
      case 'failed':
        throw new CliError(`${about} failed: ${clean(progress.reason, token.value)}`, EXIT_FAILURE);
      case 'expired':
        throw new CliError(`${about} expired before it was completed; run the command again`, EXIT_FAILURE);
      case 'none':
        throw new CliError(
          `${client.host} has no ${provider} sign-in of tenant ${options.tenant} under way any more (was another one started?); run the command again`,
          EXIT_FAILURE,
        );
      case 'pending':
        throw new CliError(
          `${about} was not completed within ${MAX_WAIT_MS / 60_000} min; run the command again`,
          EXIT_FAILURE,
        );
    }
  } catch (error) {
    if (controller.signal.aborted)
      throw new CliError(
        `stopped waiting for ${about}; the deployment drops it when it expires (or stores the token, if it is completed in the browser anyway)`,
        EXIT_FAILURE,
      );
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** Shows where the person signs in: the vendor's page (opened in the browser too), or the device code. */
async function showStart(
  start: RemoteConnectStart,
  provider: string,
  tenant: string,
  print: (message: string) => void,
): Promise<void> {
  const scopes = start.scopes.length > 0 ? ` (scopes: ${start.scopes.join(', ')})` : '';
  if (start.flow === 'device') {
    const uri = webUrl(start.verificationUri, 'verificationUri');
    if (!/^[\x21-\x7e]{1,64}$/.test(start.userCode))
      throw new RemoteError(`the deployment answered with a user code that cannot be shown`);
    print(
      `To connect ${provider} for tenant ${tenant}, open ${uri} and enter the code ${start.userCode}${scopes}.`,
    );
    return;
  }
  const url = webUrl(start.authorizationUrl, 'authorizationUrl');
  print(
    `To connect ${provider} for tenant ${tenant}${scopes}, open this URL in a browser (opening it now):\n${url}`,
  );
  try {
    await browserOpener(process.env)(url);
  } catch (error) {
    print(`No browser opened (${errorMessage(error)}); open the URL yourself.`);
  }
}

/** A URL from the deployment, before it is printed or given to the browser opener: http(s) only. */
function webUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RemoteError(`the deployment answered with a ${field} that is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new RemoteError(`the deployment answered with a ${field} that is not an http(s) URL`);
  return url.href;
}

function clean(text: string, token: string): string {
  return redact(printable(text), [token]);
}
