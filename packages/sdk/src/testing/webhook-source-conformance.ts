import { expect } from 'vitest';
import {
  type IncomingWebhook,
  incomingWebhook,
  recognition,
  WebhookError,
  type WebhookInterpretation,
  type WebhookSource,
} from '../ports/webhook-source.ts';
import { describeChecks, type OpenedWorld, type PortCheck } from './port-conformance.ts';

/** A delivery as its sender puts it on the wire: the raw body and the headers. */
export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
}

export interface DeliveryRequest {
  /** When the sender sent it, epoch ms (a whole second); a scheme that signs a time signs this one. */
  sentAt: number;
  /**
   * Which delivery: the same number again is the sender's retry of that delivery (the same delivery id),
   * another number is another delivery. Default 1.
   */
  delivery?: number;
  /** Signs with this secret instead of the source's own, as a forger would. */
  secret?: string;
  /** Sends this body instead of the representative one, as is (nothing is added to it), signed all the same. */
  body?: string;
}

/** A webhook source in a world of its own, and how its sender signs. */
export interface OpenedWebhookSource extends OpenedWorld {
  source: WebhookSource;
  /**
   * A delivery of the source's representative event (one it turns into events), as its sender sends it:
   * the vendor's real body and headers, signed with the vendor's real scheme.
   */
  deliver(request: DeliveryRequest): SignedDelivery | Promise<SignedDelivery>;
  /**
   * How many calls the source has made so far to what it was given (its API client, its mount, a member
   * lookup): a refused delivery must make none. A source given nothing answers 0.
   */
  calls(): number | Promise<number>;
}

export type WebhookSourceOpener = () => Promise<OpenedWebhookSource>;

/** How the vendor's scheme authenticates a delivery; the suite checks each claim. */
export interface WebhookSourceScheme {
  /**
   * Set when the sender signs the time it sent the delivery: how far, either way, that time may be from
   * the source's clock. Absent: no time is signed, and a replay is stopped by the delivery id.
   */
  timestampToleranceMs?: number;
  /**
   * False when the sender sends a shared secret as is instead of a signature of the body (GitLab's
   * `X-Gitlab-Token`), so the body is not authenticated. Default true.
   */
  signsBody?: boolean;
}

/** A whole second, so schemes that sign Unix seconds sign exactly this time. */
const NOW = Date.parse('2026-03-02T09:30:00.000Z');
const FORGER_SECRET = 'not-the-secret-the-source-was-given';
const DAY = 24 * 60 * 60 * 1000;
/** Bodies that are valid JSON but never what a sender sends. */
const FOREIGN_JSON = ['{"unexpected":true}', '[]', 'null', '"text"', '42'];
/** A media type without parameters, lowercase, as `contentTypes` lists them. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

function incoming(delivery: SignedDelivery, receivedAt: number): IncomingWebhook {
  const rawBody = new TextEncoder().encode(delivery.body);
  return incomingWebhook({
    headers: new Headers(delivery.headers),
    rawBody,
    body: delivery.body,
    receivedAt,
  });
}

/** What the app does with a delivery whose media type the source accepts: verify, identify, interpret. */
async function receive(
  source: WebhookSource,
  delivery: SignedDelivery,
  receivedAt: number,
): Promise<WebhookInterpretation> {
  const request = incoming(delivery, receivedAt);
  await source.verify(request);
  source.identify?.(request);
  return source.interpret(request);
}

async function accepted(
  world: OpenedWebhookSource,
  request: DeliveryRequest,
  receivedAt = request.sentAt,
): Promise<WebhookInterpretation> {
  return receive(world.source, await world.deliver(request), receivedAt);
}

/** Expects the delivery refused with `status`, having called nothing the source was given. */
async function expectRefused(
  world: OpenedWebhookSource,
  delivery: SignedDelivery,
  receivedAt: number,
  status: number,
  what: string,
): Promise<void> {
  const before = await world.calls();
  const outcome = await receive(world.source, delivery, receivedAt).then(
    (interpretation) => interpretation,
    (error: unknown) => error,
  );
  expect(outcome, `${what} was accepted`).toBeInstanceOf(WebhookError);
  expect((outcome as WebhookError).status, `${what}: ${(outcome as Error).message}`).toBe(status);
  expect(await world.calls(), `${what} made calls with what the source was given`).toBe(before);
}

/** The headers that carry the signature: those that change when another secret signs the same delivery. */
function signatureHeaders(signed: SignedDelivery, forged: SignedDelivery): string[] {
  const names = Object.keys(signed.headers).filter((name) => signed.headers[name] !== forged.headers[name]);
  expect(names, 'signing with another secret changed no header: does `deliver` use `secret`?').not.toEqual(
    [],
  );
  return names;
}

function mediaTypeOf(headers: Record<string, string>): string | undefined {
  const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type');
  return entry?.[1].split(';')[0]?.trim().toLowerCase();
}

const seconds = (ms: number) => `${ms / 1000} s`;

/** Every behaviour a WebhookSource must have under `scheme`, as plain checks. */
export function webhookSourceChecks(
  scheme: WebhookSourceScheme = {},
): readonly PortCheck<OpenedWebhookSource>[] {
  const tolerance = scheme.timestampToleranceMs;
  const signsBody = scheme.signsBody ?? true;
  return [
    {
      name: 'accepts the media type its sender sends, listed without parameters',
      async run(world) {
        const { contentTypes } = world.source;
        expect(contentTypes.length).toBeGreaterThan(0);
        for (const type of contentTypes) expect(type).toMatch(MEDIA_TYPE);
        const sent = mediaTypeOf((await world.deliver({ sentAt: NOW })).headers);
        expect(sent, 'a delivery as the sender sends it names its content type').toBeDefined();
        expect(contentTypes).toContain(sent);
      },
    },
    {
      name: 'verifies and interprets a delivery as its sender sends it into events, named by a delivery id',
      async run(world) {
        const interpretation = await accepted(world, { sentAt: NOW });
        expect(interpretation.ignored).toBeUndefined();
        expect(interpretation.reply).toBeUndefined();
        expect(interpretation.events.length).toBeGreaterThan(0);
        expect(interpretation.deliveryId).toEqual(expect.any(String));
        expect(interpretation.deliveryId).not.toBe('');
      },
    },
    {
      name: 'names the sender’s retry of a delivery by the same delivery id, and another delivery by another',
      async run(world) {
        const first = await accepted(world, { sentAt: NOW, delivery: 1 });
        const retry = await accepted(world, { sentAt: NOW + 1_000, delivery: 1 });
        const other = await accepted(world, { sentAt: NOW, delivery: 2 });
        expect(first.deliveryId).toBeDefined();
        expect(retry.deliveryId).toBe(first.deliveryId);
        expect(other.deliveryId).toBeDefined();
        expect(other.deliveryId).not.toBe(first.deliveryId);
      },
    },
    {
      name: 'recognises the sender’s retry before interpreting it, and not another delivery',
      async run(world) {
        // What the app would look up before interpreting: the keys the source names (`identify`), or,
        // from a source that names none, nothing before and its interpreted id and bytes after.
        const keys = async (request: DeliveryRequest) => {
          const delivery = await world.deliver(request);
          const webhook = incoming(delivery, request.sentAt);
          await world.source.verify(webhook);
          const identity = world.source.identify?.(webhook);
          const { deliveryId } = await world.source.interpret(webhook);
          if (!identity) return { before: [], after: [`id:${deliveryId}`, `body:${delivery.body}`] };
          if (identity.deliveryId !== undefined)
            expect(identity.deliveryId, 'identify and interpret name the delivery alike').toBe(deliveryId);
          const { id, body } = recognition(identity);
          // A digest the source names stands for the bytes, as the app uses it.
          const bytes = identity.bodyDigest ?? delivery.body;
          const named = [...(id ? [`id:${id}`] : []), ...(body ? [`body:${bytes}`] : [])];
          return { before: named, after: named };
        };
        const first = await keys({ sentAt: NOW, delivery: 1 });
        const retry = await keys({ sentAt: NOW + 1_000, delivery: 1 });
        const other = await keys({ sentAt: NOW, delivery: 2 });
        const shared = (a: string[], b: string[]) => a.some((key) => b.includes(key));
        expect(
          shared(first.after, retry.after),
          'the retry shares no key with the delivery it repeats: is it recognised by bytes it changes?',
        ).toBe(true);
        if (first.before.length > 0) expect(shared(first.before, retry.before)).toBe(true);
        expect(shared(first.after, other.after), 'another delivery is taken for a retry').toBe(false);
      },
    },
    {
      name: 'refuses (401) a delivery signed with another secret, calling nothing',
      async run(world) {
        const forged = await world.deliver({ sentAt: NOW, secret: FORGER_SECRET });
        await expectRefused(world, forged, NOW, 401, 'a delivery signed with another secret');
      },
    },
    {
      name: 'refuses (401) a delivery without its signature, calling nothing',
      async run(world) {
        const signed = await world.deliver({ sentAt: NOW });
        const forged = await world.deliver({ sentAt: NOW, secret: FORGER_SECRET });
        const dropped = new Set(signatureHeaders(signed, forged));
        const headers = Object.fromEntries(
          Object.entries(signed.headers).filter(([name]) => !dropped.has(name)),
        );
        await expectRefused(world, { ...signed, headers }, NOW, 401, 'a delivery without its signature');
      },
    },
    signsBody
      ? {
          name: 'refuses (401) the signature of another body: another delivery’s, or this one with a byte added',
          async run(world) {
            const signed = await world.deliver({ sentAt: NOW, delivery: 1 });
            const other = await world.deliver({ sentAt: NOW, delivery: 2 });
            expect(other.body, 'two deliveries should differ in their bodies').not.toBe(signed.body);
            await expectRefused(
              world,
              { body: other.body, headers: signed.headers },
              NOW,
              401,
              'another delivery’s body under this signature',
            );
            await expectRefused(
              world,
              { body: `${signed.body} `, headers: signed.headers },
              NOW,
              401,
              'the body with a byte added after signing',
            );
          },
        }
      : {
          name: 'sends its secret as is, as declared (signsBody: false): another body under it verifies',
          async run(world) {
            const signed = await world.deliver({ sentAt: NOW, delivery: 1 });
            const other = await world.deliver({ sentAt: NOW, delivery: 2 });
            await expect(
              world.source.verify(incoming({ body: other.body, headers: signed.headers }, NOW)),
            ).resolves.toBeUndefined();
          },
        },
    ...(tolerance !== undefined
      ? [
          {
            name: `refuses (401) a delivery sent more than ${seconds(tolerance)} before its clock, calling nothing`,
            async run(world: OpenedWebhookSource) {
              const old = await world.deliver({ sentAt: NOW });
              await expectRefused(world, old, NOW + tolerance + 1_000, 401, 'a stale delivery');
            },
          },
          {
            name: `refuses (401) a delivery sent more than ${seconds(tolerance)} after its clock, calling nothing`,
            async run(world: OpenedWebhookSource) {
              const early = await world.deliver({ sentAt: NOW });
              await expectRefused(world, early, NOW - tolerance - 1_000, 401, 'a delivery from the future');
            },
          },
          {
            name: `accepts a delivery sent up to ${seconds(tolerance)} either side of its clock`,
            async run(world: OpenedWebhookSource) {
              const delivery = await world.deliver({ sentAt: NOW });
              for (const receivedAt of [NOW + tolerance - 1_000, NOW - tolerance + 1_000])
                await expect(world.source.verify(incoming(delivery, receivedAt))).resolves.toBeUndefined();
            },
          },
        ]
      : [
          {
            name: 'signs no time, as declared: a day-old delivery still verifies (its delivery id stops a replay)',
            async run(world: OpenedWebhookSource) {
              const old = await world.deliver({ sentAt: NOW });
              await expect(world.source.verify(incoming(old, NOW + DAY))).resolves.toBeUndefined();
            },
          },
        ]),
    {
      name: 'refuses (400) a correctly signed body that is not JSON, calling nothing',
      async run(world) {
        const delivery = await world.deliver({ sentAt: NOW, body: '{"not": json' });
        await expectRefused(world, delivery, NOW, 400, 'a body that is not JSON');
      },
    },
    {
      name: 'refuses (400) correctly signed JSON its sender never sends, calling nothing',
      async run(world) {
        for (const body of FOREIGN_JSON) {
          const delivery = await world.deliver({ sentAt: NOW, body });
          await expectRefused(world, delivery, NOW, 400, `the body ${body}`);
        }
      },
    },
  ];
}

/**
 * Registers the WebhookSource conformance suite. `open` is called once per check (twice for none), and
 * its `close` after it. The source's own test file then only adds what is truly the vendor's (its
 * payload shapes, its published test vectors):
 *
 *   webhookSourceConformance('GithubWebhookSource', async () => ({
 *     source: new GithubWebhookSource({ secret: SECRET }),
 *     deliver: ({ secret = SECRET, delivery = 1, body }) => githubDelivery(secret, delivery, body),
 *     calls: () => 0,
 *   }));
 */
export function webhookSourceConformance(
  name: string,
  open: WebhookSourceOpener,
  scheme: WebhookSourceScheme = {},
): void {
  describeChecks(`${name} conforms to WebhookSource`, webhookSourceChecks(scheme), open);
}
