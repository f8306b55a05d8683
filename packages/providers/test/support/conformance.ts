import type { SignedDelivery } from '@software-factory/sdk/testing';

/** Retries that do not wait, so a suite's stopped vendor fails fast and deterministically. */
export const noWaiting = { sleep: async () => {}, random: () => 0.5 };

/** A token source the suite can take away (`remove`): from then on it answers that there is no token. */
export function removableToken(token: string): {
  source: () => Promise<string | undefined>;
  remove(): void;
} {
  let current: string | undefined = token;
  return {
    source: async () => current,
    remove: () => {
      current = undefined;
    },
  };
}

/** A delivery id in GitHub's form (X-GitHub-Delivery), the same for every retry of delivery `n`. */
export function githubDeliveryId(n: number): string {
  return `72d3162e-cc78-11e3-81ab-4c9367dc${n.toString(16).padStart(4, '0')}`;
}

/** The headers GitHub sends with every webhook delivery, signed with `signature`. */
export function githubHeaders(event: string, delivery: number, signature: string): SignedDelivery['headers'] {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/044aadd',
    'x-github-event': event,
    'x-github-delivery': githubDeliveryId(delivery),
    'x-github-hook-id': '292430182',
    'x-hub-signature-256': signature,
  };
}
