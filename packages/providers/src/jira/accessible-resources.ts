import { type Credential, errorMessage, type Fetch, readBodyCapped } from '@software-factory/sdk';
import * as z from 'zod/mini';

/** Atlassian's API gateway: OAuth 2.0 (3LO) tokens call a site's API through it, by cloud id. */
export const ATLASSIAN_API_GATEWAY = 'https://api.atlassian.com';

/** Where a Jira config's OAuth tokens are sent: the gateway, and the list of the sites a token may use. */
export interface JiraGatewayConfig {
  siteUrl: string;
  apiGatewayUrl?: string | undefined;
  accessibleResourcesUrl?: string | undefined;
}

/** The sites list of a token: `accessibleResourcesUrl`, else the gateway's `/oauth/token/accessible-resources`. */
export function accessibleResourcesUrl(config: JiraGatewayConfig): string {
  return config.accessibleResourcesUrl ?? `${gatewayOf(config)}/oauth/token/accessible-resources`;
}

/** The REST base of one site through the gateway: `<gateway>/ex/jira/<cloud id>`. */
export function siteApiUrl(config: JiraGatewayConfig, cloudId: string): string {
  return `${gatewayOf(config)}/ex/jira/${encodeURIComponent(cloudId)}`;
}

/** Whether two site URLs name the same site (case, trailing slashes aside). */
export function sameSite(a: string, b: string): boolean {
  return normaliseUrl(a) === normaliseUrl(b);
}

/** One site an OAuth token was granted for, as `accessible-resources` lists it. */
const accessibleResource = z.looseObject({
  id: z.string().check(z.minLength(1)),
  url: z.string().check(z.minLength(1)),
  name: z.optional(z.string()),
  scopes: z.optional(z.array(z.string())),
});
export type AccessibleResource = z.output<typeof accessibleResource>;

/** A person has a handful of sites; a megabyte is far more than any honest answer. */
const MAX_RESOURCES_BYTES = 1024 * 1024;

/**
 * The sites the token may call, from Atlassian's `accessible-resources`. Throws a sentence naming the
 * status (never the token) when Atlassian does not answer with the list.
 */
export async function listAccessibleResources(
  accessToken: string,
  url: string,
  fetch: Fetch,
): Promise<AccessibleResource[]> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
    });
  } catch (error) {
    throw new Error(`cannot reach Atlassian to list the sites the sign-in granted (${errorMessage(error)})`);
  }
  const text = await readTextCapped(response, MAX_RESOURCES_BYTES);
  if (!response.ok)
    throw new Error(`Atlassian refused to list the sites the sign-in granted (HTTP ${response.status})`);
  const parsed = z.array(accessibleResource).safeParse(parseJson(text));
  if (!parsed.success)
    throw new Error('Atlassian listed the sites the sign-in granted in a form we cannot read');
  return parsed.data;
}

/**
 * The last step of the Atlassian sign-in: a 3LO token is granted for the sites the person picked on the
 * consent page; the factory works with the one its config names (`siteUrl`), by its cloud id, kept as
 * `credential.resource`. Refuses, listing the sites granted by URL, when that site is not among them.
 */
export async function chooseJiraSite(
  credential: Credential,
  context: { config: JiraGatewayConfig; fetch: Fetch },
): Promise<Credential> {
  const { config, fetch } = context;
  const resources = await listAccessibleResources(
    credential.accessToken,
    accessibleResourcesUrl(config),
    fetch,
  );
  const site = resources.find((resource) => sameSite(resource.url, config.siteUrl));
  if (!site) {
    const granted = resources.map((resource) => resource.url).join(', ') || 'none';
    throw new Error(
      `the Atlassian sign-in granted no access to ${config.siteUrl} (granted: ${granted}); nothing was saved. Connect again and choose ${config.siteUrl} on the consent page, or set siteUrl to one of the granted sites`,
    );
  }
  return { ...credential, resource: { id: site.id, url: site.url } };
}

function gatewayOf(config: JiraGatewayConfig): string {
  return (config.apiGatewayUrl ?? ATLASSIAN_API_GATEWAY).replace(/\/+$/, '');
}

function normaliseUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').toLowerCase();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The body as text, read no further than `limit` bytes (a longer one is refused, not truncated). */
async function readTextCapped(response: Response, limit: number): Promise<string> {
  const bytes = await readBodyCapped(response, limit);
  if (bytes === 'too-large')
    throw new Error(`Atlassian answered with more than ${limit} bytes where a list of sites was expected`);
  return new TextDecoder().decode(bytes);
}
