import type Anthropic from '@anthropic-ai/sdk';
import { importOptionalPeer } from '@software-factory/sdk';

// Kept apart from the model's module, so that no declaration a user's compiler reads names the SDK's types.
export type AnthropicSdk = typeof Anthropic;

/**
 * `@anthropic-ai/sdk` is an optional peer dependency, loaded on first use; without it this rejects with
 * `MissingPeerError`: `triage.provider anthropic needs the package @anthropic-ai/sdk: npm install …`.
 */
export async function loadAnthropicSdk(): Promise<AnthropicSdk> {
  const sdk = await importOptionalPeer(
    '@anthropic-ai/sdk',
    'triage.provider anthropic',
    () => import('@anthropic-ai/sdk'),
  );
  return sdk.default;
}
