// biome-ignore-all lint/suspicious/noTemplateCurlyInString: references are written ${…} literally.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { JsonLineLogger, LOG_FIELD, loggerFromPino, REDACTED, resolvedSecretValues } from '../src/index.ts';

const API_KEY = 'lin_api_0123456789abcdef';
const BOT_TOKEN = 'xoxb-1111-2222-abcdefghij';
const QUOTED = 'pa"ss\\word-with-quotes';

function captured(options: Partial<ConstructorParameters<typeof JsonLineLogger>[0]> = {}) {
  const lines: string[] = [];
  const logger = new JsonLineLogger({
    write: (line) => lines.push(line),
    secrets: [API_KEY, BOT_TOKEN, QUOTED],
    now: () => new Date('2025-01-02T03:04:05.000Z'),
    ...options,
  });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('the one JSON logger', () => {
  it('writes one object per line with time, level and msg first, then the fields as given', () => {
    const { logger, lines, parsed } = captured({ fields: { component: 'factory-worker' } });
    logger.info('event handled', {
      tenant: 'acme',
      workItemId: 'item-1',
      event: 'tick',
      traceId: 'a'.repeat(32),
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(Object.keys(parsed()[0] ?? {}).slice(0, 3)).toEqual([
      LOG_FIELD.time,
      LOG_FIELD.level,
      LOG_FIELD.message,
    ]);
    expect(parsed()[0]).toEqual({
      time: '2025-01-02T03:04:05.000Z',
      level: 'info',
      msg: 'event handled',
      component: 'factory-worker',
      tenant: 'acme',
      workItemId: 'item-1',
      event: 'tick',
      traceId: 'a'.repeat(32),
    });
  });

  it('drops what is below its level', () => {
    const { logger, lines } = captured({ level: 'warn' });
    logger.debug('noise');
    logger.info('noise');
    logger.warn('kept');
    expect(lines).toHaveLength(1);
  });

  it('writes secret-named fields as redacted at any depth, and errors as their name and message', () => {
    const { logger, parsed } = captured();
    logger.error('effect failed', {
      botToken: 'any value at all',
      headers: { Authorization: 'Bearer something', cookie: 'factory_session=abc' },
      list: [{ clientSecret: 'x' }],
      error: new TypeError('broken'),
    });
    expect(parsed()[0]).toMatchObject({
      botToken: REDACTED,
      headers: { Authorization: REDACTED, cookie: REDACTED },
      list: [{ clientSecret: REDACTED }],
      error: { name: 'TypeError', message: 'broken' },
    });
  });

  it('scrubs every known secret value from the message and every field, even JSON-escaped', () => {
    const { logger, lines } = captured();
    logger.warn(`calling with ${API_KEY}`, {
      error: new Error(`401 for token ${BOT_TOKEN}`),
      detail: `the password was ${QUOTED}`,
      nested: { deeper: [`Bearer ${API_KEY}`] },
    });
    const line = lines[0] ?? '';
    for (const secret of [API_KEY, BOT_TOKEN, QUOTED, JSON.stringify(QUOTED).slice(1, -1)])
      expect(line).not.toContain(secret);
    expect(line.split(REDACTED).length - 1).toBe(4);
  });

  it('scrubs secrets learnt after it was made', () => {
    const { logger, lines } = captured({ secrets: [] });
    logger.addSecrets(['late-secret-value']);
    logger.info('saw late-secret-value');
    expect(lines[0]).not.toContain('late-secret-value');
  });

  it('puts the active span’s trace and span ids on every line, the caller’s own trace id first', () => {
    const active = { traceId: 'b'.repeat(32), spanId: 'c'.repeat(16) };
    const { logger, parsed } = captured({ traceContext: () => active });
    logger.info('inside a span');
    logger.info('a run of its own', { traceId: 'd'.repeat(32) });
    expect(parsed()[0]).toMatchObject({ traceId: active.traceId, spanId: active.spanId });
    expect(parsed()[1]).toMatchObject({ traceId: 'd'.repeat(32), spanId: active.spanId });
  });
});

describe('the pino adapter', () => {
  function pinoLines() {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    return { instance: pino({ level: 'debug' }, stream), lines };
  }

  it('logs through pino with the same field names and the same redaction', () => {
    const { instance, lines } = pinoLines();
    const logger = loggerFromPino(instance, { secrets: [API_KEY] });
    logger.warn(`failed with ${API_KEY}`, {
      tenant: 'acme',
      workItemId: 'item-1',
      traceId: 'e'.repeat(32),
      apiKey: 'whatever',
      error: new Error(`401 ${API_KEY}`),
    });
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(line).not.toContain(API_KEY);
    expect(line).not.toContain('whatever');
    expect(JSON.parse(line)).toMatchObject({
      level: 40,
      msg: `failed with ${REDACTED}`,
      tenant: 'acme',
      workItemId: 'item-1',
      traceId: 'e'.repeat(32),
      apiKey: REDACTED,
      error: { name: 'Error', message: `401 ${REDACTED}` },
    });
  });

  it('keeps pino’s level: debug lines go only where pino lets them', () => {
    const { instance, lines } = pinoLines();
    instance.level = 'info';
    const logger = loggerFromPino(instance);
    logger.debug('hidden');
    logger.error('shown');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['shown']);
  });
});

describe('the values a resolution put in place of references', () => {
  it('are exactly the strings that replaced references', () => {
    const template = { server: { operatorToken: '${OP}' }, tenants: [{ apiKey: '${KEY}', name: 'plain' }] };
    const resolved = {
      server: { operatorToken: 'op-value' },
      tenants: [{ apiKey: 'key-value', name: 'plain' }],
    };
    expect(resolvedSecretValues(template, resolved).sort()).toEqual(['key-value', 'op-value']);
  });
});
