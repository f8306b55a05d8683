// biome-ignore-all lint/suspicious/noTemplateCurlyInString: descriptions show ${NAME} references literally.
import type { Fetch, RetryOptions } from '@software-factory/sdk';
import * as z from 'zod/mini';
import type { ProviderContext } from '../registry/provider-entry.ts';
import { type SecretResolver, secretReference } from '../registry/secrets.ts';
import { readCredential } from '../shared/provider-credentials.ts';
import { GithubAppAuth, type GithubAppCredentials } from './app-auth.ts';

/**
 * The credentials-store key under which `factory connect github --app` keeps the App it created (the
 * private key as the credential, the App id as its resource), shared by every GitHub role of a tenant.
 */
export const GITHUB_APP_CONNECTION = 'github-app';
/** The App's webhook secret, from the same manifest conversion. */
export const GITHUB_APP_WEBHOOK_CONNECTION = 'github-app-webhook';
/** The App's OAuth client (secret as the credential, client id as the resource). */
export const GITHUB_APP_CLIENT_CONNECTION = 'github-app-client';

const PEM = /^-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----\s*$/;

/**
 * `app:` of a GitHub provider (and of the github-actions fleet): act as a GitHub App installation
 * instead of a person's token. `appId` and `privateKey` go together; both left out, the App
 * `factory connect github --app` stored is used. Messages never repeat a secret's value.
 */
export function githubAppSchema(secrets: SecretResolver) {
  const appId = z.union([
    z.int().check(z.positive()),
    z.pipe(
      secretReference(secrets, 'GITHUB_APP_ID'),
      z
        .string()
        .check(
          z.refine(
            (value) => secrets.standsIn(value) || /^\d+$/.test(value),
            'the App id is a number, e.g. 123456 (GitHub shows it as App ID)',
          ),
        ),
    ),
  ]);
  const privateKey = z.pipe(
    secretReference(secrets, 'GITHUB_APP_PRIVATE_KEY'),
    z
      .string()
      .check(
        z.refine(
          (value) => secrets.standsIn(value) || PEM.test(value),
          'is not a PEM private key: set the variable to the whole .pem file GitHub gave (-----BEGIN RSA PRIVATE KEY----- …)',
        ),
      ),
  );
  return z
    .optional(
      z
        .strictObject({
          appId: z.optional(appId).check(z.describe('#github-app.appId')),
          privateKey: z.optional(privateKey).check(z.describe('#github-app.privateKey')),
          installationId: z
            .optional(z.int().check(z.positive()))
            .check(z.describe('#github-app.installationId')),
        })
        .check(
          z.refine(
            (app) => (app.appId === undefined) === (app.privateKey === undefined),
            'give app.appId and app.privateKey together, or neither to use the App `factory connect github --app` stored',
          ),
        ),
    )
    .check(z.describe('#github-app'));
}

export type GithubAppConfig = NonNullable<z.output<ReturnType<typeof githubAppSchema>>>;

/** The App auth of a provider's `app:` block: its written credentials, else the stored App. */
export function githubAppAuthOf(
  app: GithubAppConfig,
  context: Pick<ProviderContext, 'storedToken'>,
  options: { provider: string; baseUrl?: string; fetch?: Fetch; retry?: RetryOptions },
): GithubAppAuth {
  const written =
    app.appId !== undefined && app.privateKey !== undefined
      ? { appId: String(app.appId), privateKey: app.privateKey }
      : undefined;
  const stored = written ? undefined : context.storedToken?.(GITHUB_APP_CONNECTION, undefined, undefined);
  const credentials =
    written ??
    (async (): Promise<GithubAppCredentials | undefined> => {
      const credential = await readCredential(stored);
      const appId = credential?.resource?.id;
      return credential && appId ? { appId, privateKey: credential.accessToken } : undefined;
    });
  return new GithubAppAuth({
    credentials,
    provider: options.provider,
    ...(app.installationId !== undefined ? { installationId: app.installationId } : {}),
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
}

/**
 * The webhook secret of the App `factory connect github --app` stored, read per delivery; undefined when
 * the config writes its own App (whose webhook secret the config then gives as `webhookSecret`).
 */
export function storedAppWebhookSecret(
  app: GithubAppConfig | undefined,
  context: Pick<ProviderContext, 'storedToken'>,
): (() => Promise<string | undefined>) | undefined {
  if (!app || app.appId !== undefined) return undefined;
  const stored = context.storedToken?.(GITHUB_APP_WEBHOOK_CONNECTION, undefined, undefined);
  if (stored === undefined) return undefined;
  return async () => (await readCredential(stored))?.accessToken;
}

/**
 * A token function for a client that names the repository of each call (the GitHub Actions fleet): the
 * App's installation token for `owner/repo`, exchanged anew when `refresh` says the last one was refused.
 */
export function githubAppTokenFunction(
  auth: GithubAppAuth,
): (request: { repository: string; refresh: boolean }) => Promise<string> {
  return ({ repository, refresh }) => {
    const [owner = '', repo = ''] = repository.split('/');
    return auth.token({ owner, repo }, { refresh });
  };
}
