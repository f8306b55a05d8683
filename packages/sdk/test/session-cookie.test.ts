import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clearSessionCookie, sessionCookieOf, setSessionCookie } from '../src/http/session-cookie.ts';

// The dashboard's session cookie as the browser sends it and as the app sets and clears it.

const app = new Hono();
app.get('/read', (c) => c.json({ session: sessionCookieOf(c) ?? null }));
app.get('/set', (c) => {
  setSessionCookie(
    c,
    'v1.abc.1.2.0.def',
    { path: '/t/acme/', secure: c.req.query('secure') === '1' },
    43_200.7,
  );
  return c.body(null, 204);
});
app.get('/clear', (c) => {
  clearSessionCookie(c, { path: '/t/acme/', secure: true });
  return c.body(null, 204);
});

async function read(cookie?: string): Promise<unknown> {
  const response = await app.request('/read', cookie === undefined ? {} : { headers: { cookie } });
  return ((await response.json()) as { session: unknown }).session;
}

describe('the session cookie', () => {
  it.each([
    ['alone', 'factory_session=v1.abc', 'v1.abc'],
    ['among others, with spaces', 'theme=dark;  factory_session=v1.abc ; other=1', 'v1.abc'],
    ['the first of two of that name', 'factory_session=first; factory_session=second', 'first'],
    ['empty', 'factory_session=', ''],
  ])('is read %s', async (_, cookie, expected) => {
    expect(await read(cookie)).toBe(expected);
  });

  it.each([
    ['no cookie header', undefined],
    ['only other cookies', 'theme=dark; session=v1.abc'],
    ['a name that only ends like it', 'xfactory_session=v1.abc'],
    ['a name that only starts like it', 'factory_session_old=v1.abc'],
    ['the name without a value', 'factory_session'],
  ])('is absent with %s', async (_, cookie) => {
    expect(await read(cookie)).toBeNull();
  });

  it('is set HttpOnly and SameSite=Strict on the tenant path, for whole seconds, Secure when asked', async () => {
    const plain = await app.request('/set');
    expect(plain.headers.get('set-cookie')).toBe(
      'factory_session=v1.abc.1.2.0.def; Max-Age=43200; Path=/t/acme/; HttpOnly; SameSite=Strict',
    );
    const secure = await app.request('/set?secure=1');
    expect(secure.headers.get('set-cookie')).toBe(
      'factory_session=v1.abc.1.2.0.def; Max-Age=43200; Path=/t/acme/; HttpOnly; Secure; SameSite=Strict',
    );
  });

  it('is cleared empty with Max-Age=0 on the same path', async () => {
    const cleared = await app.request('/clear');
    expect(cleared.headers.get('set-cookie')).toBe(
      'factory_session=; Max-Age=0; Path=/t/acme/; HttpOnly; Secure; SameSite=Strict',
    );
  });
});
