import type { Context, Hono } from 'hono';
import * as z from 'zod/mini';
import { errorMessage } from '../error-message.ts';
import { ConnectRefusedError } from '../ports/remote-connect.ts';
import type { TenantRegistry, TenantRuntime } from '../ports/tenant-runtime.ts';
import { methodNotAllowed, notRunning } from './admin-api.ts';
import { type AdminApiAccess, namedTenant } from './admin-api-access.ts';
import { renderConnectPage } from './connect-page.ts';
import type { HttpSecurity } from './http-security.ts';
import { readJsonCapped } from './json-body.ts';

/** A provider's route segment: what a provider's config name looks like. */
export const PROVIDER_SEGMENT = /^[a-z][a-z0-9-]{0,63}$/;
/** The most scopes one sign-in may ask for. */
export const MAX_SCOPES = 50;

const connectRequest = z.strictObject({
  scopes: z.optional(
    z
      .array(
        z
          .string()
          .check(
            z.minLength(1),
            z.maxLength(256),
            z.regex(/^[A-Za-z0-9:._/-]+$/, 'a scope is letters, digits and : . _ / -'),
          ),
      )
      .check(z.maxLength(MAX_SCOPES)),
  ),
});

const REMOTE_SIGN_IN_OFF =
  'remote sign-in is off: this deployment has no credentials key (server.credentialsKey)';

export interface ConnectRoutesContext {
  registry: TenantRegistry;
  security: HttpSecurity;
  /** The admin API's access, when it is on: starting a sign-in is one of its routes. */
  access: AdminApiAccess | undefined;
  /** Where clients reach the app; the vendor redirects the browser to its callback there. */
  publicUrl: string | undefined;
}

/**
 * Remote sign-in (`factory connect --remote`): the operator or the tenant's admin starts a sign-in and
 * follows its progress through the admin API; the vendor sends the person's browser back to the public
 * callback, where the tenant's connector exchanges the code. The code and `state` are never shown back.
 */
export function mountConnectRoutes(app: Hono, context: ConnectRoutesContext): void {
  const { registry, security, access } = context;

  if (access) {
    const path = '/admin/tenants/:tenant/connect/:provider';
    /** The tenant's connector and the provider, for a caller let in; or the answer why not. */
    const connectorFor = async (c: Context) => {
      const found = await namedTenant(c, access, 'operator-or-admin');
      if (found instanceof Response) return found;
      const provider = c.req.param('provider') ?? '';
      if (!PROVIDER_SEGMENT.test(provider)) return c.json({ error: 'unknown provider' }, 404);
      const runtime = found.located.runtime;
      if (!runtime) return notRunning(c, found.located.id);
      if (!runtime.connector) return c.json({ error: REMOTE_SIGN_IN_OFF }, 409);
      if (!runtime.connector.providers().includes(provider))
        return c.json(
          { error: `tenant "${runtime.id}" has no provider "${provider}" that can be signed in to remotely` },
          404,
        );
      return { tenant: runtime, connector: runtime.connector, provider };
    };

    app.post(path, async (c) => {
      const found = await connectorFor(c);
      if (found instanceof Response) return found;
      const body = await readJsonCapped(c.req.raw, { optional: true });
      if ('status' in body) return c.json({ error: body.error }, body.status);
      const parsed = connectRequest.safeParse(body.value ?? {});
      if (!parsed.success)
        return c.json(
          {
            error: 'invalid sign-in request',
            issues: parsed.error.issues.map((issue) => ({
              path: issue.path.map(String).join('.'),
              message: issue.message,
            })),
          },
          400,
        );
      const redirectUri = `${baseUrl(c)}/t/${encodeURIComponent(found.tenant.id)}/connect/${found.provider}/callback`;
      try {
        const start = await found.connector.begin(found.provider, {
          redirectUri,
          ...(parsed.data.scopes ? { scopes: parsed.data.scopes } : {}),
        });
        security.logger.info('remote sign-in started', {
          tenant: found.tenant.id,
          provider: found.provider,
          flow: start.flow,
        });
        c.header('cache-control', 'no-store');
        return c.json(start, 201);
      } catch (error) {
        if (error instanceof ConnectRefusedError) return c.json({ error: error.message }, error.status);
        throw error;
      }
    });

    app.get(path, async (c) => {
      const found = await connectorFor(c);
      if (found instanceof Response) return found;
      try {
        const progress = await found.connector.progress(found.provider);
        c.header('cache-control', 'no-store');
        return c.json(progress);
      } catch (error) {
        if (error instanceof ConnectRefusedError) return c.json({ error: error.message }, error.status);
        throw error;
      }
    });

    app.all(path, (c) => methodNotAllowed(c, 'GET, POST'));
  }

  /** Where the vendor sends the browser back: the public URL, else the origin this request came to. */
  function baseUrl(c: Context): string {
    if (context.publicUrl) return context.publicUrl.replace(/\/+$/, '');
    const own = new URL(c.req.url);
    return security.client(c).https ? `https://${own.host}` : own.origin;
  }

  const callback = '/t/:tenant/connect/:provider/callback';
  app.get(callback, async (c) => {
    const id = c.req.param('tenant');
    const provider = c.req.param('provider');
    c.header('cache-control', 'no-store');
    c.header('referrer-policy', 'no-referrer');
    const page = (status: 200 | 400 | 404 | 409 | 410 | 502, heading: string, text: string) =>
      c.html(renderConnectPage(heading, text), status);
    const unknown = () =>
      page(404, 'nothing to sign in to here', `there is no sign-in for "${provider}" of tenant "${id}"`);
    if (!PROVIDER_SEGMENT.test(provider)) return unknown();
    const connector = (await runtimeOf(registry, security, id))?.connector;
    if (!connector?.providers().includes(provider)) return unknown();
    const url = new URL(c.req.url);
    const hide = redactor(url);
    try {
      await connector.callback(provider, url);
      security.logger.info('remote sign-in completed', { tenant: id, provider });
      return page(
        200,
        `${provider} is connected`,
        `${provider} is connected for ${id}; you can close this tab`,
      );
    } catch (error) {
      if (error instanceof ConnectRefusedError) {
        security.logger.warn('remote sign-in refused', { tenant: id, provider, reason: hide(error.message) });
        return page(error.status, 'the sign-in was refused', hide(error.message));
      }
      security.logger.error('remote sign-in failed', {
        tenant: id,
        provider,
        error: hide(errorMessage(error)),
      });
      return page(
        502,
        'the sign-in could not be completed',
        `the sign-in could not be completed; start it again with factory connect ${provider} --remote`,
      );
    }
  });

  app.all(callback, (c) => methodNotAllowed(c, 'GET'));
}

async function runtimeOf(
  registry: TenantRegistry,
  security: HttpSecurity,
  id: string,
): Promise<TenantRuntime | undefined> {
  try {
    return await registry.get(id);
  } catch (error) {
    security.logger.warn('tenant could not be loaded', {
      tenant: id,
      error: errorMessage(error),
    });
    return undefined;
  }
}

/** Removes the callback's code and state from a text (a message may quote what it was given). */
function redactor(url: URL): (text: string) => string {
  const secrets = ['code', 'state']
    .map((name) => url.searchParams.get(name) ?? '')
    .filter((value) => value.length >= 4);
  return (text) => secrets.reduce((result, secret) => result.split(secret).join('[redacted]'), text);
}
